// A call the client cancels, or whose deadline passes, stops on the server: it
// finishes with CANCELLED or DEADLINE_EXCEEDED (as its log line says), sends no
// more, and frees its place.
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/server_test_support.h"
#include "tests/server/synthetic_models.h"
#include "tests/support/stream_requests.h"

namespace qbake::testing {
namespace {

// The last call log line, parsed.
nlohmann::json LastLogLine(const TestServer& server) {
  const std::vector<std::string> lines = server.LogLines(1);
  EXPECT_FALSE(lines.empty());
  return lines.empty() ? nlohmann::json::object() : nlohmann::json::parse(lines.back());
}

TEST(CancellationTest, CancellingMidStreamStopsSending) {
  TestServer server;
  constexpr size_t kElements = size_t{16} << 20;  // 64 MiB of float32
  v1::BakeOptions options;
  options.set_chunk_bytes(64 << 10);
  const std::vector<v1::BakeStreamRequest> requests =
      StreamRequests(WeightModel({static_cast<int64_t>(kElements)}, Ramp(kElements)),
                     {WeightSpec()}, options, StreamLayout{1 << 20, 1 << 20, 1});
  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  auto stream = server.stub()->BakeStream(&context);
  for (const auto& request : requests) ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  v1::BakeEvent event;
  ASSERT_TRUE(stream->Read(&event));
  ASSERT_TRUE(stream->Read(&event));
  EXPECT_TRUE(event.has_tensor());
  context.TryCancel();
  while (stream->Read(&event)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);

  ASSERT_TRUE(server.WaitForActiveCalls(0));
  const nlohmann::json line = LastLogLine(server);
  EXPECT_EQ(line["code"], "CANCELLED");
  EXPECT_LT(line["bytes_out"].get<uint64_t>(), kElements * sizeof(float) / 2);
}

TEST(CancellationTest, APassedDeadlineStopsAWaitingCall) {
  TestServer server;
  OpenStream stream(server.stub(), absl::Milliseconds(300));
  ASSERT_TRUE(stream.Write(HeaderRequest({WeightSpec()}, {}, 1000)));
  const CallResult result = stream.AwaitEnd();
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  ASSERT_TRUE(server.WaitForActiveCalls(0));
  EXPECT_EQ(LastLogLine(server)["code"], "DEADLINE_EXCEEDED");
}

TEST(CancellationTest, ACancelledCallFreesItsPlace) {
  ServerOptions options = TestOptions();
  options.max_concurrent = 1;
  TestServer server(options);
  {
    OpenStream stream(server.stub());
    ASSERT_TRUE(stream.Write(HeaderRequest({WeightSpec()}, {}, 1000)));
    ASSERT_TRUE(server.WaitForActiveCalls(1));
    stream.Cancel();
    EXPECT_EQ(stream.Finish().status.error_code(), grpc::StatusCode::CANCELLED);
  }
  ASSERT_TRUE(server.WaitForActiveCalls(0));
  EXPECT_EQ(LastLogLine(server)["code"], "CANCELLED");
  const CallResult next =
      CallBakeStream(server.stub(), StreamRequests(WeightModel({4}, Ramp(4)), {WeightSpec()}));
  EXPECT_TRUE(next.status.ok()) << next.status.error_message();
}

}  // namespace
}  // namespace qbake::testing
