// Requests whose bytes are not what a generated client sends: the server parses
// every request itself, so bytes that do not parse are answered INVALID_ARGUMENT
// naming the field and byte at fault (never gRPC's bare refusal), bytes that would
// parse into far more memory than was sent are refused before parsing, each call is
// logged, and the server goes on serving.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/e2e_cases.h"
#include "tests/server/server_test_support.h"
#include "tests/support/generic_exchange.h"
#include "tests/support/stream_requests.h"
#include "tests/support/wire_bytes.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;
using RawExchange = GenericExchange<grpc::ByteBuffer, grpc::ByteBuffer>;

constexpr char kBake[] = "/qbake.v1.Baker/Bake";
constexpr char kBakeStream[] = "/qbake.v1.Baker/BakeStream";

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// The call's status, and the number of events it streamed back.
struct RawResult {
  grpc::Status status;
  size_t events = 0;
};

RawResult CallRaw(TestServer& server, const char* method,
                  const std::vector<std::string>& messages) {
  std::vector<grpc::ByteBuffer> buffers;
  for (const std::string& message : messages) buffers.push_back(Buffer(message));
  RawExchange exchange(server.channel(), method, std::move(buffers));
  RawResult result;
  result.status = exchange.Await();
  result.events = exchange.responses().size();
  return result;
}

class WireRequestsTest : public ::testing::Test {
 protected:
  // The call was refused with `code` and `message`, logged so, and the server still
  // bakes.
  void ExpectRefused(const RawResult& result, grpc::StatusCode code, const std::string& message) {
    EXPECT_EQ(result.status.error_code(), code) << result.status.error_message();
    EXPECT_EQ(result.status.error_message(), message);
    EXPECT_EQ(result.events, 0u);
    ASSERT_TRUE(server_.WaitForActiveCalls(0));
    const std::vector<std::string> lines = server_.LogLines(++calls_);
    ASSERT_EQ(lines.size(), calls_);
    EXPECT_EQ(nlohmann::json::parse(lines.back())["message"], message);
    ExpectStillBaking();
  }

  void ExpectStillBaking() {
    const E2eCase e2e = LoadE2eCase("synth_trt_int8");
    const CallResult result = CallBake(server_.stub(), BakeRequestFor(e2e.model_bytes, e2e.specs));
    EXPECT_TRUE(result.status.ok()) << result.status.error_message();
    ++calls_;
  }

  TestServer server_;
  size_t calls_ = 0;
};

TEST_F(WireRequestsTest, ABytesFieldDeclaringTwoGibibytesIsNamed) {
  ExpectRefused(CallRaw(server_, kBake, {DelimitedField(1, uint64_t{1} << 31, "onnx")}),
                grpc::StatusCode::INVALID_ARGUMENT,
                "request: not a valid qbake.v1.BakeRequest: qbake.v1.BakeRequest.model at byte 0 "
                "declares 2147483648 bytes where 4 remain");
}

TEST_F(WireRequestsTest, AHundredThousandNestedGroupsAreNamed) {
  ExpectRefused(CallRaw(server_, kBake, {std::string(100000, '\x0b')}),
                grpc::StatusCode::INVALID_ARGUMENT,
                "request: not a valid qbake.v1.BakeRequest: field 1 of a group at byte 100: "
                "messages and groups nested deeper than 100");
}

TEST_F(WireRequestsTest, InvalidUtf8InAStringFieldIsNamed) {
  ExpectRefused(CallRaw(server_, kBake, {DelimitedField(2, DelimitedField(2, "w\xc3"))}),
                grpc::StatusCode::INVALID_ARGUMENT,
                "request: not a valid qbake.v1.BakeRequest: qbake.v1.TensorQuantConfig.variable "
                "at byte 2: not valid UTF-8");
}

TEST_F(WireRequestsTest, AMalformedModelInsideAValidRequestIsNamed) {
  const std::string model = DelimitedField(7, DelimitedField(5, DelimitedField(9, 1000, "")));
  ExpectRefused(CallRaw(server_, kBake, {DelimitedField(1, model)}),
                grpc::StatusCode::INVALID_ARGUMENT,
                "model: not a valid onnx.ModelProto: onnx.TensorProto.raw_data at byte 4 declares "
                "1000 bytes where 0 remain");
}

TEST_F(WireRequestsTest, ARequestOfTwoMillionEmptyConfigsIsRefusedBeforeParsing) {
  const RawResult result = CallRaw(server_, kBake, {EmptyFields(2, 2000000)});
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(result.status.error_message(),
              HasSubstr("2000000 of them in qbake.v1.BakeRequest.configs"));
  EXPECT_EQ(ReasonOf(result.status), "REQUEST_TOO_LARGE");
  ExpectStillBaking();
}

TEST_F(WireRequestsTest, AStreamWhoseFirstMessageDoesNotParseSaysSo) {
  ExpectRefused(CallRaw(server_, kBakeStream, {"\x0a\x05\x0a"}), grpc::StatusCode::INVALID_ARGUMENT,
                "BakeStream: message 1: not a valid qbake.v1.BakeStreamRequest: "
                "qbake.v1.BakeStreamRequest.header at byte 0 declares 5 bytes where 1 remain");
}

TEST_F(WireRequestsTest, ALaterStreamMessageThatDoesNotParseIsCounted) {
  const E2eCase e2e = LoadE2eCase("synth_graphcore_fp8");
  std::vector<std::string> messages;
  for (const v1::BakeStreamRequest& request : StreamRequests(e2e.model, e2e.specs)) {
    messages.push_back(request.SerializeAsString());
  }
  ASSERT_GE(messages.size(), 2u);
  messages.insert(messages.begin() + 1, "\x12\x80");  // model_data, its length unfinished
  ExpectRefused(CallRaw(server_, kBakeStream, messages), grpc::StatusCode::INVALID_ARGUMENT,
                "BakeStream: message 2: not a valid qbake.v1.BakeStreamRequest: "
                "qbake.v1.BakeStreamRequest.model_data at byte 0: its length is not a valid "
                "varint");
}

// A generated client's bytes, sent raw, bake as they do through the stub.
TEST_F(WireRequestsTest, ValidBytesSentRawBakeAsThroughTheStub) {
  const E2eCase e2e = LoadE2eCase("synth_ncnn_int8");
  RawExchange exchange(server_.channel(), kBake,
                       {Buffer(BakeRequestFor(e2e.model_bytes, e2e.specs).SerializeAsString())});
  const grpc::Status status = exchange.Await();
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<v1::BakeEvent> events;
  for (const grpc::ByteBuffer& buffer : exchange.responses()) {
    std::vector<grpc::Slice> slices;
    ASSERT_TRUE(buffer.Dump(&slices).ok());
    std::string bytes;
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    ASSERT_TRUE(events.emplace_back().ParseFromString(bytes));
  }
  ExpectMatchesPpq(e2e, events);
}

}  // namespace
}  // namespace qbake::testing
