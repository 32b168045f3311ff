// One JSON line per call: time, level, "call", the request id (the client's
// x-request-id, else a new one, sent back in the response headers), the traceparent,
// method, peer, status code (and message when not OK), bytes in and out, parameters
// baked, queue wait and duration.
#include "server/call_log.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/e2e_cases.h"
#include "tests/server/server_test_support.h"

namespace qbake::testing {
namespace {

TEST(CallLogTest, ASuccessfulBakeLogsItsTraffic) {
  TestServer server;
  const E2eCase e2e = LoadE2eCase("synth_trt_int8");
  const v1::BakeRequest request = BakeRequestFor(e2e.model_bytes, e2e.specs);
  const CallResult result = CallBake(server.stub(), request);
  ASSERT_TRUE(result.status.ok());
  ASSERT_TRUE(server.WaitForActiveCalls(0));
  uint64_t bytes_out = 0;
  for (const v1::BakeEvent& event : result.events) bytes_out += event.ByteSizeLong();

  const std::vector<std::string> lines = server.LogLines(1);
  ASSERT_EQ(lines.size(), 1u);
  const nlohmann::json line = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["msg"], "call");
  EXPECT_EQ(line["request_id"].get<std::string>().size(), 32u);
  EXPECT_FALSE(line.contains("traceparent"));
  EXPECT_EQ(line["method"], "Bake");
  EXPECT_NE(line["peer"].get<std::string>().find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(line["code"], "OK");
  EXPECT_FALSE(line.contains("message"));
  EXPECT_EQ(line["bytes_in"], request.ByteSizeLong());
  EXPECT_EQ(line["bytes_out"], bytes_out);
  const v1::BakeSummary& summary = result.events.back().summary();
  EXPECT_EQ(line["parameters"], summary.baked() + summary.passive_baked());
  EXPECT_GE(line["seconds"].get<double>(), 0);
}

TEST(CallLogTest, AFailedCallLogsItsCodeAndMessage) {
  TestServer server;
  ASSERT_FALSE(CallBakeStream(server.stub(), {}).status.ok());
  ASSERT_TRUE(server.WaitForActiveCalls(0));
  const std::vector<std::string> lines = server.LogLines(1);
  ASSERT_EQ(lines.size(), 1u);
  const nlohmann::json line = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(line["level"], "warning");
  EXPECT_EQ(line["method"], "BakeStream");
  EXPECT_EQ(line["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(line["message"], "BakeStream: the stream ended before its header");
  EXPECT_EQ(line["parameters"], 0);
}

TEST(CallLogTest, TheClientsRequestIdAndTraceparentAreLoggedAndTheIdSentBack) {
  TestServer server;
  const E2eCase e2e = LoadE2eCase("synth_trt_int8");
  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  const std::string traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  context.AddMetadata("x-request-id", "job-42");
  context.AddMetadata("traceparent", traceparent);
  auto reader = server.stub()->Bake(&context, BakeRequestFor(e2e.model_bytes, e2e.specs));
  for (v1::BakeEvent event; reader->Read(&event);) {
  }
  ASSERT_TRUE(reader->Finish().ok());
  const auto& headers = context.GetServerInitialMetadata();
  const auto sent_back = headers.find("x-request-id");
  ASSERT_NE(sent_back, headers.end());
  EXPECT_EQ(std::string(sent_back->second.data(), sent_back->second.size()), "job-42");
  const nlohmann::json line = nlohmann::json::parse(server.LogLines(1).at(0));
  EXPECT_EQ(line["request_id"], "job-42");
  EXPECT_EQ(line["traceparent"], traceparent);
}

TEST(CallLogTest, AnUnprintableRequestIdIsReplaced) {
  TestServer server;
  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  context.AddMetadata("x-request-id", std::string(200, 'x'));
  auto reader = server.stub()->Bake(&context, v1::BakeRequest());
  for (v1::BakeEvent event; reader->Read(&event);) {
  }
  EXPECT_FALSE(reader->Finish().ok());
  const nlohmann::json line = nlohmann::json::parse(server.LogLines(1).at(0));
  EXPECT_EQ(line["request_id"].get<std::string>().size(), 32u);
}

// --max-connection-age: a connection that old is asked to go, and the channel's next
// call comes on a new one (another client port in the log); without it, the same.
TEST(CallLogTest, AnOldConnectionIsReplacedAfterTheMaximumAge) {
  for (const bool aged : {true, false}) {
    ServerOptions options = TestOptions();
    options.max_connection_age = aged ? absl::Seconds(1) : absl::ZeroDuration();
    options.max_connection_age_grace = absl::Seconds(1);
    TestServer server(options);
    ASSERT_FALSE(CallBake(server.stub(), v1::BakeRequest()).status.ok());
    absl::SleepFor(absl::Seconds(4));
    ASSERT_FALSE(CallBake(server.stub(), v1::BakeRequest()).status.ok());
    const std::vector<std::string> lines = server.LogLines(2);
    ASSERT_EQ(lines.size(), 2u);
    const std::string first = nlohmann::json::parse(lines[0])["peer"];
    const std::string second = nlohmann::json::parse(lines[1])["peer"];
    EXPECT_EQ(first != second, aged) << first << " then " << second;
  }
}

TEST(CallLogTest, LinesStayOneLineWhateverTheMessage) {
  CallRecord record;
  record.method = "Bake";
  record.status = absl::InvalidArgumentError("two\nlines \"quoted\"");
  const std::string line = CallLogLine(record);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(line)["message"], "two\nlines \"quoted\"");
}

}  // namespace
}  // namespace qbake::testing
