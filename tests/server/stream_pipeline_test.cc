// BakeStream bakes each external parameter as soon as its bytes are complete and
// sends it while later ones are still coming; an error in a later parameter still
// ends the call with the core's status, word for word.
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/bake_session.h"
#include "gtest/gtest.h"
#include "tests/server/server_test_support.h"
#include "tests/server/synthetic_models.h"
#include "tests/support/stream_requests.h"

namespace qbake::testing {
namespace {

constexpr int kElements = 2048;  // 8 KiB per weight: external at StreamLayout's 1 KiB

// MatMuls "matmul0" and "matmul1" over the weights "w0" and "w1", whose values are
// Ramp's, with `w1_at_7` at flat index 7 of w1; and their configs.
onnx::ModelProto TwoWeightModel(float w1_at_7) {
  std::vector<float> w1 = Ramp(kElements);
  w1[7] = w1_at_7;
  return ModelBuilder()
      .Node("MatMul", "matmul0", {"x", "w0"}, {"y0"})
      .Node("MatMul", "matmul1", {"y0", "w1"}, {"y1"})
      .Initializer(MakeTensor("w0", {kElements}, Ramp(kElements)))
      .Initializer(MakeTensor("w1", {kElements}, w1))
      .model();
}

std::vector<TensorConfigSpec> TwoWeightSpecs() {
  std::vector<TensorConfigSpec> specs;
  for (int i = 0; i < 2; ++i) {
    TensorConfigSpec spec = WeightSpec();
    spec.operation = absl::StrCat("matmul", i);
    spec.variable = absl::StrCat("w", i);
    specs.push_back(spec);
  }
  return specs;
}

// The call's stream, written and read by the test step by step.
using BidiStream = grpc::ClientReaderWriter<v1::BakeStreamRequest, v1::BakeEvent>;

TEST(StreamPipelineTest, SendsAParameterBeforeTheNextOneArrives) {
  TestServer server;
  onnx::ModelProto model = TwoWeightModel(0.25f);
  const std::string blob = MoveToExternalData(&model, 1024);
  const std::string model_bytes = model.SerializeAsString();
  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  std::unique_ptr<BidiStream> stream = server.stub()->BakeStream(&context);
  ASSERT_TRUE(stream->Write(HeaderRequest(TwoWeightSpecs(), {}, model_bytes.size())));
  v1::BakeStreamRequest model_data;
  model_data.set_model_data(model_bytes);
  ASSERT_TRUE(stream->Write(model_data));
  const size_t half = blob.size() / 2;  // w0's bytes
  ASSERT_TRUE(stream->Write(ExternalRequest(kBlobLocation, 0, blob.substr(0, half))));

  v1::BakeEvent first;
  ASSERT_TRUE(stream->Read(&first));  // before w1's bytes are sent
  ASSERT_TRUE(first.has_tensor());
  EXPECT_EQ(first.tensor().name(), "w0");

  ASSERT_TRUE(stream->Write(ExternalRequest(kBlobLocation, half, blob.substr(half))));
  stream->WritesDone();
  std::vector<v1::BakeEvent> events = {first};
  for (v1::BakeEvent event; stream->Read(&event);) events.push_back(event);
  const grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(events.back().has_summary());
  EXPECT_EQ(events.back().summary().baked(), 2);
  EXPECT_EQ(events.back().summary().parameters(0).variable(), "w0");
  EXPECT_EQ(events.back().summary().parameters(1).variable(), "w1");
}

TEST(StreamPipelineTest, ANonFiniteValueInALaterParameterGetsTheCoresMessage) {
  TestServer server;
  const onnx::ModelProto model = TwoWeightModel(std::numeric_limits<float>::quiet_NaN());
  ThreadPool pool(1);
  onnx::ModelProto local_model = model;
  const absl::Status local =
      BakeSession(&pool, BakeOptions{}).Run(&local_model, TwoWeightSpecs()).status();
  ASSERT_FALSE(local.ok());

  const CallResult result = CallBakeStream(server.stub(), StreamRequests(model, TwoWeightSpecs()));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(result.status.error_message(), local.message());
  for (const v1::BakeEvent& event : result.events) EXPECT_FALSE(event.has_summary());
}

}  // namespace
}  // namespace qbake::testing
