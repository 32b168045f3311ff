// Bad input gets INVALID_ARGUMENT with the same message text the core gives the
// local CLI, and leaves the server healthy and serving.
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/status_util.h"
#include "core/bake_session.h"
#include "core/error_detail.h"
#include "core/ppq_config_document.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "proto/status_mapping.h"
#include "tests/server/e2e_cases.h"
#include "tests/server/server_test_support.h"
#include "tests/server/synthetic_models.h"
#include "tests/support/stream_requests.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;

// The status the core gives when baking `model` with `specs` in this process.
absl::Status LocalStatus(onnx::ModelProto model, const std::vector<TensorConfigSpec>& specs) {
  ThreadPool pool(1);
  return BakeSession(&pool, BakeOptions{}).Run(&model, specs).status();
}

class ErrorsTest : public ::testing::Test {
 protected:
  // The server still says SERVING and bakes a good request.
  void ExpectStillServing() {
    EXPECT_EQ(CheckHealth(server_.channel()), grpc::health::v1::HealthCheckResponse::SERVING);
    EXPECT_EQ(CheckHealth(server_.channel(), "qbake.v1.Baker"),
              grpc::health::v1::HealthCheckResponse::SERVING);
    const E2eCase e2e = LoadE2eCase("synth_trt_int8");
    const CallResult result = CallBake(server_.stub(), BakeRequestFor(e2e.model_bytes, e2e.specs));
    EXPECT_TRUE(result.status.ok()) << result.status.error_message();
  }

  TestServer server_;
};

TEST_F(ErrorsTest, GarbageModelBytesAreInvalidArgument) {
  const CallResult result =
      CallBake(server_.stub(), BakeRequestFor(std::string(1000, '\xff'), {WeightSpec()}));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(result.status.error_message(), HasSubstr("model: not a valid onnx.ModelProto"));
  EXPECT_EQ(ReasonOf(result.status), "MODEL_INVALID");
  EXPECT_TRUE(result.events.empty());
  ExpectStillServing();
}

TEST_F(ErrorsTest, ModelWithoutAGraphIsInvalidArgument) {
  const CallResult result = CallBake(server_.stub(), BakeRequestFor("", {}));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(result.status.error_message(), "model: not a valid onnx.ModelProto: it has no graph");
  ExpectStillServing();
}

TEST_F(ErrorsTest, BadConfigGetsTheCoresMessageWordForWord) {
  const E2eCase e2e = LoadE2eCase("synth_trt_int8");
  std::vector<TensorConfigSpec> specs = e2e.specs;
  specs[1].num_of_bits = 99;
  const absl::Status local = LocalStatus(e2e.model, specs);
  ASSERT_EQ(local.code(), absl::StatusCode::kInvalidArgument);

  const CallResult bake = CallBake(server_.stub(), BakeRequestFor(e2e.model_bytes, specs));
  EXPECT_EQ(bake.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bake.status.error_message(), local.message());
  // The reason and site (google.rpc.ErrorInfo) too: the client's status is the core's.
  EXPECT_EQ(FromGrpcStatus(bake.status), local);
  EXPECT_EQ(ReasonOf(bake.status), "CONFIG_INVALID");
  EXPECT_EQ(SiteOf(local), (ErrorSite{specs[1].operation, specs[1].variable, "bit_width"}));
  const CallResult stream = CallBakeStream(server_.stub(), StreamRequests(e2e.model, specs));
  EXPECT_EQ(stream.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(stream.status.error_message(), local.message());
  EXPECT_EQ(FromGrpcStatus(stream.status), local);
  ExpectStillServing();
}

// A ppq_config_json that PPQ's document reader refuses: its own message after the
// field's name (`qbake bake --config` puts the file's name there), by Bake and by
// BakeStream.
TEST_F(ErrorsTest, APpqDocumentThatDoesNotReadGetsTheReadersMessage) {
  const E2eCase e2e = LoadE2eCase("synth_trt_int8");
  for (const std::string& document :
       {std::string("{\"configs\": "), std::string("[1, 2]"),
        std::string(R"({"configs": {"/conv1/Conv": {"conv1.weight": {"state": "ACTIVATED"}}}})")}) {
    SCOPED_TRACE(document);
    const absl::Status local = PpqConfigDocument::Parse(document).status();
    ASSERT_EQ(local.code(), absl::StatusCode::kInvalidArgument);
    v1::BakeRequest request = BakeRequestFor(e2e.model_bytes, {});
    request.set_ppq_config_json(document);
    std::vector<v1::BakeStreamRequest> stream = StreamRequests(e2e.model, {});
    stream.front().mutable_header()->set_ppq_config_json(document);
    for (const CallResult& result :
         {CallBake(server_.stub(), request), CallBakeStream(server_.stub(), stream)}) {
      EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_EQ(FromGrpcStatus(result.status), Annotate(local, "ppq_config_json"));
      EXPECT_EQ(ReasonOf(result.status), "CONFIG_INVALID");
      EXPECT_TRUE(result.events.empty());
    }
  }
  ExpectStillServing();
}

// A document whose config the bake refuses gets the core's message word for word,
// as the same config sent typed does.
TEST_F(ErrorsTest, APpqDocumentsBadConfigGetsTheCoresMessageWordForWord) {
  const E2eCase e2e = LoadE2eCase("synth_trt_int8");
  nlohmann::json document =
      nlohmann::json::parse(ReadFileOrDie(TestDataPath("ppq_e2e/synth_trt_int8/ppq_config.json")));
  const TensorConfigSpec& second = e2e.specs[1];
  document["configs"][second.operation][second.variable]["bit_width"] = 99;
  absl::StatusOr<PpqConfigDocument> parsed = PpqConfigDocument::Parse(document.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const absl::Status local = LocalStatus(e2e.model, parsed->specs());
  ASSERT_EQ(local.code(), absl::StatusCode::kInvalidArgument);
  v1::BakeRequest request = BakeRequestFor(e2e.model_bytes, {});
  request.set_ppq_config_json(document.dump());
  const CallResult result = CallBake(server_.stub(), request);
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(result.status.error_message(), local.message());
  EXPECT_EQ(FromGrpcStatus(result.status), local);
  ExpectStillServing();
}

TEST_F(ErrorsTest, ConfigsSentBothTypedAndAsADocumentAreRefused) {
  const E2eCase e2e = LoadE2eCase("synth_trt_int8");
  v1::BakeRequest request = BakeRequestFor(e2e.model_bytes, e2e.specs);
  request.set_ppq_config_json(
      ReadFileOrDie(TestDataPath("ppq_e2e/synth_trt_int8/ppq_config.json")));
  const CallResult result = CallBake(server_.stub(), request);
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(result.status.error_message(),
              ::testing::StartsWith(
                  absl::StrCat("ppq_config_json: given with ", e2e.specs.size(), " configs")));
  EXPECT_EQ(ReasonOf(result.status), "REQUEST_INVALID");
  ExpectStillServing();
}

TEST_F(ErrorsTest, UnknownOperationGetsTheCoresMessageWordForWord) {
  const onnx::ModelProto model = WeightModel({4}, Ramp(4));
  TensorConfigSpec spec = WeightSpec();
  spec.operation = "no_such_node";
  const absl::Status local = LocalStatus(model, {spec});
  ASSERT_FALSE(local.ok());
  const CallResult result =
      CallBake(server_.stub(), BakeRequestFor(model.SerializeAsString(), {spec}));
  EXPECT_EQ(result.status.error_code(), static_cast<grpc::StatusCode>(local.code()));
  EXPECT_EQ(result.status.error_message(), local.message());
  EXPECT_EQ(FromGrpcStatus(result.status), local);
}

TEST_F(ErrorsTest, ExternalDataInABakeRequestGetsTheCoresMessage) {
  onnx::ModelProto model = WeightModel({300}, Ramp(300));
  MoveToExternalData(&model, 0);
  const absl::Status local = LocalStatus(model, {WeightSpec()});
  ASSERT_FALSE(local.ok());
  const CallResult result =
      CallBake(server_.stub(), BakeRequestFor(model.SerializeAsString(), {WeightSpec()}));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(result.status.error_message(), local.message());
  EXPECT_EQ(FromGrpcStatus(result.status), local);
}

TEST_F(ErrorsTest, UnknownStateNumberIsInvalidArgumentNamingTheField) {
  v1::BakeRequest request =
      BakeRequestFor(WeightModel({4}, Ramp(4)).SerializeAsString(), {WeightSpec()});
  request.mutable_configs(0)->set_state(static_cast<v1::QuantState>(42));
  const CallResult result = CallBake(server_.stub(), request);
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(result.status.error_message(),
              HasSubstr("operation 'conv', variable 'w', field 'state'"));
  EXPECT_EQ(SiteOf(FromGrpcStatus(result.status)), (ErrorSite{"conv", "w", "state"}));
  ExpectStillServing();
}

// A parameter's value that cannot bake is the model's fault, at the parameter's site.
TEST_F(ErrorsTest, ANonFiniteParameterIsModelInvalidAtItsValue) {
  std::vector<float> values = Ramp(8);
  values[5] = std::numeric_limits<float>::quiet_NaN();
  const onnx::ModelProto model = WeightModel({8}, values);
  const absl::Status local = LocalStatus(model, {WeightSpec()});
  ASSERT_EQ(local.code(), absl::StatusCode::kInvalidArgument);
  const CallResult result =
      CallBake(server_.stub(), BakeRequestFor(model.SerializeAsString(), {WeightSpec()}));
  EXPECT_EQ(FromGrpcStatus(result.status), local);
  EXPECT_EQ(ReasonOf(result.status), "MODEL_INVALID");
  EXPECT_EQ(SiteOf(local), (ErrorSite{"conv", "w", "value"}));
  ExpectStillServing();
}

}  // namespace
}  // namespace qbake::testing
