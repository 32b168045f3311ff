// Draining, as on SIGTERM: health turns NOT_SERVING and new calls get UNAVAILABLE
// at once, calls in flight run to the end within the grace period, and calls still
// running when it ends are cancelled.
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/server/e2e_cases.h"
#include "tests/server/server_test_support.h"
#include "tests/support/stream_requests.h"

namespace qbake::testing {
namespace {

// True once the health service says NOT_SERVING, within 20 s.
bool AwaitNotServing(const std::shared_ptr<grpc::Channel>& channel) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (CheckHealth(channel) != grpc::health::v1::HealthCheckResponse::NOT_SERVING) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

TEST(DrainTest, InFlightCallsFinishWhileNewOnesAreRefused) {
  TestServer server;
  const E2eCase e2e = LoadE2eCase("synth_trt_int8");
  const std::vector<v1::BakeStreamRequest> requests = StreamRequests(e2e.model, e2e.specs);
  OpenStream in_flight(server.stub());
  ASSERT_TRUE(in_flight.Write(requests[0]));
  ASSERT_TRUE(server.WaitForActiveCalls(1));

  const absl::Time start = absl::Now();
  std::thread drain([&] { server.server().Drain(absl::Seconds(60)); });
  // (EXPECT from here on: the drain thread must be joined whatever happens.)
  EXPECT_TRUE(AwaitNotServing(server.channel()));
  EXPECT_EQ(CheckHealth(server.channel(), "qbake.v1.Baker"),
            grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  const CallResult refused = CallBake(server.stub(), BakeRequestFor(e2e.model_bytes, e2e.specs));
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::UNAVAILABLE);

  for (size_t i = 1; i < requests.size(); ++i) EXPECT_TRUE(in_flight.Write(requests[i]));
  // Its status must reach the client whole, not be cancelled by the shutdown that
  // follows once the call has given back its place.
  const CallResult finished = in_flight.Finish();
  EXPECT_TRUE(finished.status.ok()) << finished.status.error_message();
  if (finished.status.ok()) ExpectMatchesPpq(e2e, finished.events);
  drain.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
}

TEST(DrainTest, CallsStillRunningAfterTheGracePeriodAreCancelled) {
  TestServer server;
  OpenStream stuck(server.stub());
  ASSERT_TRUE(stuck.Write(HeaderRequest({}, {}, 1000)));
  ASSERT_TRUE(server.WaitForActiveCalls(1));
  const absl::Time start = absl::Now();
  server.server().Drain(absl::Milliseconds(200));
  const absl::Duration drained = absl::Now() - start;
  EXPECT_GE(drained, absl::Milliseconds(200));
  EXPECT_LT(drained, absl::Seconds(20));
  EXPECT_EQ(server.server().active_calls(), 0);
  EXPECT_FALSE(stuck.AwaitEnd().status.ok());
}

}  // namespace
}  // namespace qbake::testing
