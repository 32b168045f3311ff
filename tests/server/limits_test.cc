// Calls beyond --max-concurrent wait in arrival order, up to --max-queued of them
// and at most --queue-timeout or their own deadline, without their requests being
// read; beyond the queue they are refused at once with RESOURCE_EXHAUSTED and a retry
// hint (google.rpc.RetryInfo and grpc-retry-pushback-ms). Models above
// --max-model-bytes (external data included) are refused without being read; an
// admitted call gets its response headers at once.
#include <future>
#include <thread>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/status_mapping.h"
#include "tests/server/e2e_cases.h"
#include "tests/server/server_test_support.h"
#include "tests/server/synthetic_models.h"
#include "tests/support/stream_requests.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

v1::BakeRequest SmallRequest() {
  return BakeRequestFor(WeightModel({4}, Ramp(4)).SerializeAsString(), {WeightSpec()});
}

ServerOptions OnePlace(int max_queued, absl::Duration queue_timeout = absl::Seconds(60)) {
  ServerOptions options = TestOptions();
  options.max_concurrent = 1;
  options.max_queued = max_queued;
  options.queue_timeout = queue_timeout;
  return options;
}

// The retry delay of a status's google.rpc.RetryInfo detail; -1 s without one.
absl::Duration RetryInfoDelay(const grpc::Status& status) {
  return RetryDelay(FromGrpcStatus(status)).value_or(absl::Seconds(-1));
}

void ExpectBusyWithRetryHint(const CallResult& result, absl::string_view flag) {
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(result.status.error_message(), HasSubstr(flag));
  EXPECT_EQ(RetryInfoDelay(result.status), absl::Seconds(1));
  EXPECT_EQ(ReasonOf(result.status), "SERVER_BUSY");
  EXPECT_THAT(result.trailers, ::testing::Contains(Pair("grpc-retry-pushback-ms", "1000")));
  EXPECT_TRUE(result.events.empty());
}

TEST(LimitsTest, CallsBeyondMaxConcurrentWaitThenAllSucceed) {
  TestServer server(OnePlace(/*max_queued=*/2));
  OpenStream held(server.stub());
  ASSERT_TRUE(server.WaitForActiveCalls(1));
  auto first =
      std::async(std::launch::async, [&] { return CallBake(server.stub(), SmallRequest()); });
  ASSERT_TRUE(server.WaitForQueuedCalls(1));
  auto second = std::async(std::launch::async, [&] {
    return CallBakeStream(server.stub(), StreamRequests(WeightModel({4}, Ramp(4)), {WeightSpec()}));
  });
  ASSERT_TRUE(server.WaitForQueuedCalls(2));

  // The queue is full: refused at once, with a hint to retry.
  const absl::Time start = absl::Now();
  ExpectBusyWithRetryHint(CallBake(server.stub(), SmallRequest()), "--max-queued");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(first.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);

  held.Cancel();
  held.Finish();
  const CallResult first_result = first.get();
  const CallResult second_result = second.get();
  EXPECT_TRUE(first_result.status.ok()) << first_result.status.error_message();
  EXPECT_TRUE(second_result.status.ok()) << second_result.status.error_message();
  EXPECT_FALSE(first_result.events.empty());
  EXPECT_FALSE(second_result.events.empty());
  ASSERT_TRUE(server.WaitForQueuedCalls(0));
}

TEST(LimitsTest, WithoutAQueueCallsBeyondMaxConcurrentAreRefusedAtOnce) {
  TestServer server(OnePlace(/*max_queued=*/0));
  OpenStream held(server.stub());
  ASSERT_TRUE(server.WaitForActiveCalls(1));
  ExpectBusyWithRetryHint(CallBake(server.stub(), SmallRequest()), "--max-concurrent");
  ExpectBusyWithRetryHint(CallBakeStream(server.stub(), {}), "--max-queued");
  held.Cancel();
  held.Finish();
  ASSERT_TRUE(server.WaitForActiveCalls(0));
  EXPECT_TRUE(CallBake(server.stub(), SmallRequest()).status.ok());
}

TEST(LimitsTest, AWaitEndsAtTheQueueTimeoutOrTheCallsDeadline) {
  TestServer server(OnePlace(/*max_queued=*/4, absl::Milliseconds(300)));
  OpenStream held(server.stub());
  ASSERT_TRUE(server.WaitForActiveCalls(1));
  ExpectBusyWithRetryHint(CallBake(server.stub(), SmallRequest()), "--queue-timeout");

  ServerOptions patient = OnePlace(/*max_queued=*/4);
  TestServer second_server(patient);
  OpenStream second_held(second_server.stub());
  ASSERT_TRUE(second_server.WaitForActiveCalls(1));
  const CallResult late = CallBake(second_server.stub(), SmallRequest(), absl::Milliseconds(500));
  EXPECT_EQ(late.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  ASSERT_TRUE(second_server.WaitForQueuedCalls(0));
  held.Cancel();
  second_held.Cancel();
}

// gRPC's flow control holds the sender of a queued BakeStream: the server reads
// nothing of it (at most its receive window sits in the transport) until admitted.
TEST(LimitsTest, AQueuedStreamIsNotReadUntilAdmitted) {
  TestServer server(OnePlace(/*max_queued=*/1));
  OpenStream held(server.stub());
  ASSERT_TRUE(server.WaitForActiveCalls(1));
  const std::vector<float> values = Ramp(16 << 20);  // 64 MiB
  const std::vector<v1::BakeStreamRequest> requests =
      StreamRequests(WeightModel({16 << 20}, values), {WeightSpec()});
  std::atomic<bool> done{false};
  std::thread queued([&] {
    const CallResult result = CallBakeStream(server.stub(), requests);
    EXPECT_TRUE(result.status.ok()) << result.status.error_message();
    done = true;
  });
  ASSERT_TRUE(server.WaitForQueuedCalls(1));
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_FALSE(done.load());
  EXPECT_EQ(server.server().queued_calls(), 1);
  held.Cancel();
  held.Finish();
  queued.join();
  EXPECT_TRUE(done.load());
}

TEST(LimitsTest, ACancelledWaitLeavesTheQueue) {
  TestServer server(OnePlace(/*max_queued=*/1));
  OpenStream held(server.stub());
  ASSERT_TRUE(server.WaitForActiveCalls(1));
  {
    OpenStream waiting(server.stub());
    ASSERT_TRUE(server.WaitForQueuedCalls(1));
    waiting.Cancel();
    EXPECT_EQ(waiting.Finish().status.error_code(), grpc::StatusCode::CANCELLED);
  }
  ASSERT_TRUE(server.WaitForQueuedCalls(0));
  EXPECT_EQ(server.server().active_calls(), 1);
  held.Cancel();
  held.Finish();
  ASSERT_TRUE(server.WaitForActiveCalls(0));
  EXPECT_TRUE(CallBake(server.stub(), SmallRequest()).status.ok());
}

TEST(LimitsTest, ADrainRefusesTheQueuedCalls) {
  TestServer server(OnePlace(/*max_queued=*/1));
  OpenStream held(server.stub());
  ASSERT_TRUE(server.WaitForActiveCalls(1));
  auto queued =
      std::async(std::launch::async, [&] { return CallBake(server.stub(), SmallRequest()); });
  ASSERT_TRUE(server.WaitForQueuedCalls(1));
  std::thread drain([&] { server.server().Drain(absl::Seconds(5)); });
  const CallResult refused = queued.get();
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(refused.status.error_message(), HasSubstr("shutting down"));
  EXPECT_EQ(ReasonOf(refused.status), "DRAINING");
  EXPECT_EQ(RetryInfoDelay(refused.status), absl::Milliseconds(100));
  held.Cancel();
  drain.join();
}

TEST(LimitsTest, AnAdmittedCallHasItsHeadersBeforeAnyEvent) {
  TestServer server;
  OpenStream held(server.stub());
  held.AwaitHeaders();
  // Headers sent only with a status would have come with the call's end.
  EXPECT_EQ(server.server().active_calls(), 1);
  EXPECT_TRUE(held.Write(HeaderRequest({}, {}, 1000)));
  held.Cancel();
  EXPECT_EQ(held.Finish().status.error_code(), grpc::StatusCode::CANCELLED);
}

class ModelBytesLimitTest : public ::testing::Test {
 protected:
  ModelBytesLimitTest() : server_(LimitedOptions()) {}

  static ServerOptions LimitedOptions() {
    ServerOptions options = TestOptions();
    options.max_model_bytes = 4000;
    return options;
  }

  void ExpectRefused(const CallResult& result) {
    EXPECT_EQ(result.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(result.status.error_message(),
                HasSubstr("with its external data, above the server's limit of 4000"));
    EXPECT_EQ(ReasonOf(result.status), "MODEL_TOO_LARGE");
    EXPECT_EQ(RetryInfoDelay(result.status), absl::Seconds(-1));
    EXPECT_TRUE(result.events.empty());
  }

  TestServer server_;
};

TEST_F(ModelBytesLimitTest, BakeOfALargerModelIsRefused) {
  ExpectRefused(CallBake(
      server_.stub(),
      BakeRequestFor(WeightModel({1000}, Ramp(1000)).SerializeAsString(), {WeightSpec()})));
  EXPECT_TRUE(CallBake(server_.stub(), SmallRequest()).status.ok());
}

TEST_F(ModelBytesLimitTest, BakeStreamHeaderAboveTheLimitIsRefusedBeforeTheModel) {
  ExpectRefused(
      CallBakeStream(server_.stub(), {HeaderRequest({WeightSpec()}, {}, uint64_t{1} << 40)}));
}

TEST_F(ModelBytesLimitTest, BakeStreamExternalDataCountsTowardsTheLimit) {
  const onnx::ModelProto model = WeightModel({1000}, Ramp(1000));
  ExpectRefused(CallBakeStream(server_.stub(), StreamRequests(model, {WeightSpec()})));
}

}  // namespace
}  // namespace qbake::testing
