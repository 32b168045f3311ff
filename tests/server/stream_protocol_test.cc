// BakeStream's message order and external data are checked: header first and once,
// exactly model_bytes of model_data, and external bytes that cover every external
// tensor once, inside the ranges the model declares. Each violation is
// INVALID_ARGUMENT naming what went wrong.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/server_test_support.h"
#include "tests/server/synthetic_models.h"
#include "tests/support/stream_requests.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;

class StreamProtocolTest : public ::testing::Test {
 protected:
  // Header and model of a 300-value weight moved to external data (1200 bytes).
  std::vector<v1::BakeStreamRequest> ModelRequests() {
    onnx::ModelProto model = WeightModel({300}, Ramp(300));
    blob_ = MoveToExternalData(&model, 0);
    const std::string bytes = model.SerializeAsString();
    std::vector<v1::BakeStreamRequest> requests = {HeaderRequest({WeightSpec()}, {}, bytes.size())};
    requests.emplace_back().set_model_data(bytes);
    return requests;
  }

  v1::BakeStreamRequest Blob(uint64_t begin, uint64_t end) {
    return ExternalRequest(kBlobLocation, begin, blob_.substr(begin, end - begin));
  }

  void ExpectRefused(const std::vector<v1::BakeStreamRequest>& requests,
                     const std::string& message) {
    const CallResult result = CallBakeStream(server_.stub(), requests);
    EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(result.status.error_message(), HasSubstr(message));
    EXPECT_TRUE(result.events.empty());
  }

  TestServer server_;
  std::string blob_;
};

TEST_F(StreamProtocolTest, BakesWhenEveryExternalByteArrivesInAnyOrder) {
  std::vector<v1::BakeStreamRequest> requests = ModelRequests();
  requests.push_back(Blob(700, 1200));
  requests.push_back(Blob(0, 300));
  requests.push_back(Blob(300, 700));
  const CallResult result = CallBakeStream(server_.stub(), requests);
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_TRUE(result.events.back().has_summary());
  EXPECT_EQ(result.events.back().summary().baked(), 1);
}

TEST_F(StreamProtocolTest, TheHeaderComesFirst) {
  std::vector<v1::BakeStreamRequest> requests = ModelRequests();
  ExpectRefused({requests[1]}, "BakeStream: the first message must be the header");
}

TEST_F(StreamProtocolTest, TheHeaderComesOnce) {
  std::vector<v1::BakeStreamRequest> requests = ModelRequests();
  requests.push_back(requests[0]);
  ExpectRefused(requests, "BakeStream: a second header");
}

TEST_F(StreamProtocolTest, AnEmptyStreamHasNoHeader) {
  ExpectRefused({}, "BakeStream: the stream ended before its header");
}

TEST_F(StreamProtocolTest, ModelDataBeyondModelBytesIsRefused) {
  std::vector<v1::BakeStreamRequest> requests = ModelRequests();
  requests[0].mutable_header()->set_model_bytes(requests[1].model_data().size() - 1);
  ExpectRefused(requests, "model_data beyond the header's model_bytes");
}

TEST_F(StreamProtocolTest, AStreamEndingBeforeTheModelIsCompleteIsRefused) {
  std::vector<v1::BakeStreamRequest> requests = ModelRequests();
  const size_t bytes = requests[1].model_data().size();
  requests[0].mutable_header()->set_model_bytes(bytes + 10);
  ExpectRefused(requests, absl::StrCat("the stream ended after ", bytes, " of the ", bytes + 10,
                                       " model bytes"));
}

TEST_F(StreamProtocolTest, ExternalDataBeforeTheModelIsCompleteIsRefused) {
  std::vector<v1::BakeStreamRequest> requests = ModelRequests();
  requests[0].mutable_header()->set_model_bytes(requests[1].model_data().size() + 10);
  requests.push_back(Blob(0, 1200));
  ExpectRefused(requests, "external_data before all");
}

TEST_F(StreamProtocolTest, MissingExternalBytesAreNamed) {
  std::vector<v1::BakeStreamRequest> requests = ModelRequests();
  requests.push_back(Blob(0, 500));
  requests.push_back(Blob(600, 1200));
  ExpectRefused(requests,
                "tensor 'w' stores bytes [0, 1200) of location 'qbake-stream-blob'; "
                "byte 500 was never sent");
}

TEST_F(StreamProtocolTest, OverlappingExternalBytesAreRefused) {
  std::vector<v1::BakeStreamRequest> requests = ModelRequests();
  requests.push_back(Blob(0, 500));
  requests.push_back(Blob(499, 1200));
  ExpectRefused(requests, "bytes [499, 1200) of location 'qbake-stream-blob' overlap");
}

// Two tensors declaring overlapping bytes would be baked each on its own and then
// written back over each other: refused before any byte is taken.
TEST_F(StreamProtocolTest, TensorsDeclaringOverlappingBytesAreRefused) {
  onnx::ModelProto model = WeightModel({300}, Ramp(300));
  *model.mutable_graph()->add_initializer() = model.graph().initializer(0);
  model.mutable_graph()->mutable_initializer(1)->set_name("w2");
  MoveToExternalData(&model, 0);  // w at [0, 1200), w2 at [1200, 2400)
  for (onnx::StringStringEntryProto& entry :
       *model.mutable_graph()->mutable_initializer(1)->mutable_external_data()) {
    if (entry.key() == "offset") entry.set_value("600");
  }
  const std::string bytes = model.SerializeAsString();
  std::vector<v1::BakeStreamRequest> requests = {HeaderRequest({WeightSpec()}, {}, bytes.size())};
  requests.emplace_back().set_model_data(bytes);
  ExpectRefused(requests,
                "model: tensor 'w2': external data bytes [600, 1800) of location "
                "'qbake-stream-blob' overlap those of tensor 'w' ([0, 1200)); each tensor needs "
                "bytes of its own");
}

TEST_F(StreamProtocolTest, ExternalBytesOutsideEveryTensorAreRefused) {
  std::vector<v1::BakeStreamRequest> requests = ModelRequests();
  requests.push_back(ExternalRequest(kBlobLocation, 1100, std::string(101, 'x')));
  ExpectRefused(requests, "bytes [1100, 1201) of location 'qbake-stream-blob' are outside");
}

TEST_F(StreamProtocolTest, AnUnknownLocationIsRefused) {
  std::vector<v1::BakeStreamRequest> requests = ModelRequests();
  requests.push_back(ExternalRequest("elsewhere", 0, "abc"));
  ExpectRefused(requests, "location 'elsewhere' is not used by any tensor");
}

TEST_F(StreamProtocolTest, AnExternalTensorWithoutLengthIsRefused) {
  onnx::ModelProto model = WeightModel({300}, Ramp(300));
  MoveToExternalData(&model, 0);
  auto* entries = model.mutable_graph()->mutable_initializer(0)->mutable_external_data();
  entries->RemoveLast();  // "length"
  const std::string bytes = model.SerializeAsString();
  std::vector<v1::BakeStreamRequest> requests = {HeaderRequest({WeightSpec()}, {}, bytes.size())};
  requests.emplace_back().set_model_data(bytes);
  ExpectRefused(requests, "model: tensor 'w': external data has no 'length'");
}

TEST_F(StreamProtocolTest, AMessageWithoutAPartIsRefused) {
  std::vector<v1::BakeStreamRequest> requests = ModelRequests();
  requests.emplace_back();
  ExpectRefused(requests, "BakeStream: a message with no part");
}

}  // namespace
}  // namespace qbake::testing
