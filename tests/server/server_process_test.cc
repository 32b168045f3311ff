// The real qbake-server process on a loopback port: it prints where it listens,
// bakes, keeps serving after garbage, logs each call on stderr, and on SIGTERM or
// SIGINT drains (NOT_SERVING, new calls UNAVAILABLE, in-flight calls finish) and
// exits 0.
#include "tests/support/server_process.h"

#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/e2e_cases.h"
#include "tests/server/server_test_support.h"
#include "tests/server/stream_requests.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::vector<std::string> kLoopback = {"--listen", "127.0.0.1:0", "--threads", "2"};

TEST(ServerProcessTest, BakesLikePpqAndExitsZeroOnSigint) {
  ServerProcess process(kLoopback);
  ASSERT_GT(process.port(), 0) << process.first_line() << process.Stderr();
  EXPECT_THAT(process.first_line(), StartsWith("qbake-server listening on 127.0.0.1:"));
  const E2eCase e2e = LoadE2eCase("synth_ppl_cuda_int8");
  auto stub = v1::Baker::NewStub(LoopbackChannel(process.port()));
  const CallResult result = CallBake(stub.get(), BakeRequestFor(e2e.model_bytes, e2e.specs));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ExpectMatchesPpq(e2e, result.events);

  process.Signal(SIGINT);
  EXPECT_EQ(process.WaitForExit(absl::Seconds(20)), 0);
  EXPECT_THAT(process.Stderr(), HasSubstr(R"({"method":"Bake","peer":"ipv4:127.0.0.1:)"));
  EXPECT_THAT(process.Stderr(), HasSubstr(R"("code":"OK")"));
}

TEST(ServerProcessTest, GarbageKeepsItServing) {
  ServerProcess process(kLoopback);
  ASSERT_GT(process.port(), 0) << process.Stderr();
  const auto channel = LoopbackChannel(process.port());
  auto stub = v1::Baker::NewStub(channel);
  v1::BakeRequest garbage;
  garbage.set_model(std::string(4096, '\xfe'));
  EXPECT_EQ(CallBake(stub.get(), garbage).status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(CallBakeStream(stub.get(), {ExternalRequest("x", 0, "y")}).status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(CheckHealth(channel), grpc::health::v1::HealthCheckResponse::SERVING);
  const E2eCase e2e = LoadE2eCase("synth_trt_int8");
  EXPECT_TRUE(CallBake(stub.get(), BakeRequestFor(e2e.model_bytes, e2e.specs)).status.ok());
}

TEST(ServerProcessTest, SigtermLetsAnInFlightBakeFinish) {
  ServerProcess process(kLoopback);
  ASSERT_GT(process.port(), 0) << process.Stderr();
  const auto channel = LoopbackChannel(process.port());
  auto stub = v1::Baker::NewStub(channel);
  const E2eCase e2e = LoadE2eCase("synth_graphcore_fp8");
  const std::vector<v1::BakeStreamRequest> requests = StreamRequests(e2e.model, e2e.specs);
  OpenStream in_flight(stub.get());
  ASSERT_TRUE(in_flight.Write(requests[0]));
  in_flight.AwaitHeaders();  // admitted: SIGTERM must now let it finish
  ASSERT_EQ(CheckHealth(channel), grpc::health::v1::HealthCheckResponse::SERVING);

  process.Signal(SIGTERM);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (CheckHealth(channel) != grpc::health::v1::HealthCheckResponse::NOT_SERVING &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(CheckHealth(channel), grpc::health::v1::HealthCheckResponse::NOT_SERVING)
      << process.Stderr();
  EXPECT_EQ(CallBake(stub.get(), BakeRequestFor(e2e.model_bytes, e2e.specs)).status.error_code(),
            grpc::StatusCode::UNAVAILABLE);

  for (size_t i = 1; i < requests.size(); ++i) {
    ASSERT_TRUE(in_flight.Write(requests[i])) << process.Stderr();
  }
  const CallResult finished = in_flight.Finish();
  ASSERT_TRUE(finished.status.ok()) << finished.status.error_message() << process.Stderr();
  ExpectMatchesPpq(e2e, finished.events);
  EXPECT_EQ(process.WaitForExit(absl::Seconds(20)), 0);
  EXPECT_THAT(process.Stderr(), HasSubstr("draining"));
}

TEST(ServerProcessTest, HelpPrintsUsageAndExitsZero) {
  ServerProcess process({"--help"});
  EXPECT_THAT(process.first_line(), StartsWith("qbake-server - "));
  EXPECT_EQ(process.WaitForExit(absl::Seconds(20)), 0);
}

TEST(ServerProcessTest, ABadFlagExitsTwoWithOneErrorLine) {
  ServerProcess process({"--threads", "many"});
  EXPECT_EQ(process.WaitForExit(absl::Seconds(20)), 2);
  EXPECT_EQ(process.first_line(), "");
  EXPECT_EQ(process.Stderr(),
            "qbake-server: error: --threads is 'many'; it takes a whole number from 0 to 1024 "
            "(see 'qbake-server --help')\n");
}

TEST(ServerProcessTest, ABusyPortExitsOne) {
  ServerProcess first(kLoopback);
  ASSERT_GT(first.port(), 0);
  ServerProcess second({"--listen", absl::StrCat("127.0.0.1:", first.port())});
  EXPECT_EQ(second.WaitForExit(absl::Seconds(20)), 1);
  EXPECT_THAT(second.Stderr(), HasSubstr("qbake-server: error: cannot listen on '127.0.0.1:"));
}

}  // namespace
}  // namespace qbake::testing
