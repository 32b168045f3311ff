// The real qbake-server process on a loopback port: it prints where it listens,
// bakes, keeps serving after garbage, logs each call on stderr, and on SIGTERM or
// SIGINT drains (NOT_SERVING, new calls UNAVAILABLE, in-flight calls finish) and
// exits 0.
#include "tests/support/server_process.h"

#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/e2e_cases.h"
#include "tests/server/server_test_support.h"
#include "tests/support/http_get.h"
#include "tests/support/logged_calls.h"
#include "tests/support/stream_requests.h"

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
  // The call's line comes as it ends, just after its client has the status.
  ASSERT_EQ(AwaitLoggedCodes(process, 1).size(), 1) << process.Stderr();

  process.Signal(SIGINT);
  EXPECT_EQ(process.WaitForExit(absl::Seconds(20)), 0);
  // Every line is a JSON object with a time, a level and a message: the start, the
  // call, the drain and the stop.
  std::vector<std::string> messages;
  for (absl::string_view line : absl::StrSplit(process.Stderr(), '\n', absl::SkipEmpty())) {
    const nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(parsed.is_object()) << line;
    EXPECT_THAT(parsed["time"].get<std::string>(),
                ::testing::MatchesRegex(R"(20[0-9-]{8}T[0-9:]{8}\.[0-9]{3}Z)"));
    EXPECT_EQ(parsed["level"], "info") << line;
    messages.push_back(parsed["msg"]);
    if (parsed["msg"] == "serving") {
      EXPECT_EQ(parsed["address"], absl::StrCat("127.0.0.1:", process.port()));
      EXPECT_EQ(parsed["threads"], 2);
      EXPECT_EQ(parsed["max_concurrent"], 4);
      EXPECT_THAT(parsed["version"].get<std::string>(), StartsWith(QBAKE_PROJECT_VERSION));
    }
    if (parsed["msg"] == "call") {
      EXPECT_EQ(parsed["method"], "Bake");
      EXPECT_THAT(parsed["peer"].get<std::string>(), StartsWith("ipv4:127.0.0.1:"));
      EXPECT_EQ(parsed["code"], "OK");
    }
  }
  EXPECT_EQ(messages, (std::vector<std::string>{"serving", "call", "draining", "stopped"}));
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

TEST(ServerProcessTest, VersionPrintsTheProjectVersionAndExitsZero) {
  ServerProcess process({"--version"});
  EXPECT_THAT(process.first_line(), StartsWith("qbake-server " QBAKE_PROJECT_VERSION));
  EXPECT_EQ(process.WaitForExit(absl::Seconds(20)), 0);
}

// The plaintext health port answers as the main port does, whatever --listen's TLS,
// and turns NOT_SERVING with it on SIGTERM; the metrics port counts the calls.
TEST(ServerProcessTest, HealthAndMetricsPortsFollowTheServer) {
  ServerProcess process({"--listen", "127.0.0.1:0", "--threads", "2", "--health-listen",
                         "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--grace-period", "20"});
  ASSERT_GT(process.port(), 0) << process.Stderr();
  ASSERT_THAT(process.health_address(), StartsWith("127.0.0.1:")) << process.first_line();
  ASSERT_THAT(process.metrics_address(), StartsWith("127.0.0.1:")) << process.first_line();
  const auto health =
      grpc::CreateChannel(process.health_address(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(CheckHealth(health), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(CheckHealth(health, "qbake.v1.Baker"), grpc::health::v1::HealthCheckResponse::SERVING);

  const E2eCase e2e = LoadE2eCase("synth_ppl_cuda_int8");
  auto stub = v1::Baker::NewStub(LoopbackChannel(process.port()));
  ASSERT_TRUE(CallBake(stub.get(), BakeRequestFor(e2e.model_bytes, e2e.specs)).status.ok());
  EXPECT_EQ(CallBake(stub.get(), v1::BakeRequest()).status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // A call is counted as it ends, just after its client has its status, and not
  // necessarily in the order the calls ended: scrape until each shows.
  const absl::StatusOr<std::string> ok_counted =
      AwaitMetrics(process.metrics_address(), R"(qbake_calls_total{code="OK",method="Bake"})", 1);
  ASSERT_TRUE(ok_counted.ok()) << ok_counted.status() << process.Stderr();
  const absl::StatusOr<std::string> metrics = AwaitMetrics(
      process.metrics_address(), R"(qbake_calls_total{code="INVALID_ARGUMENT",method="Bake"})", 1);
  ASSERT_TRUE(metrics.ok()) << metrics.status() << process.Stderr();
  EXPECT_EQ(MetricValue(*metrics, R"(qbake_calls_total{code="OK",method="Bake"})"), 1);
  EXPECT_EQ(MetricValue(*metrics, R"(qbake_calls_total{code="INVALID_ARGUMENT",method="Bake"})"),
            1);
  EXPECT_EQ(MetricValue(*metrics, R"(qbake_call_duration_seconds_count{method="Bake"})"), 2);
  EXPECT_EQ(MetricValue(*metrics, R"(qbake_queue_wait_seconds_count{method="Bake"})"), 2);
  EXPECT_GT(MetricValue(*metrics, "qbake_bytes_received_total"), e2e.model_bytes.size());
  EXPECT_GT(MetricValue(*metrics, "qbake_bytes_sent_total"), 0);
  EXPECT_GT(MetricValue(*metrics, "qbake_parameters_baked_total"), 0);
  EXPECT_EQ(MetricValue(*metrics, "qbake_calls_in_flight"), 0);
  EXPECT_EQ(MetricValue(*metrics, "qbake_calls_queued"), 0);
  EXPECT_THAT(*metrics, HasSubstr("qbake_build_info{kernel=\""));

  // A held call shows in flight.
  OpenStream held(stub.get());
  held.AwaitHeaders();
  const absl::StatusOr<std::string> busy =
      AwaitMetrics(process.metrics_address(), "qbake_calls_in_flight", 1);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_EQ(MetricValue(*busy, "qbake_calls_in_flight"), 1);

  process.Signal(SIGTERM);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (CheckHealth(health) != grpc::health::v1::HealthCheckResponse::NOT_SERVING &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(CheckHealth(health), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  held.Cancel();
  held.Finish();
  EXPECT_EQ(process.WaitForExit(absl::Seconds(20)), 0) << process.Stderr();
}

TEST(ServerProcessTest, AHealthPortThatCannotBeBoundExitsOne) {
  ServerProcess first(kLoopback);
  ASSERT_GT(first.port(), 0);
  ServerProcess second(
      {"--listen", "127.0.0.1:0", "--health-listen", absl::StrCat("127.0.0.1:", first.port())});
  EXPECT_EQ(second.WaitForExit(absl::Seconds(20)), 1);
  EXPECT_THAT(second.Stderr(), HasSubstr("(--health-listen)"));
  ServerProcess third(
      {"--listen", "127.0.0.1:0", "--metrics-listen", absl::StrCat("127.0.0.1:", first.port())});
  EXPECT_EQ(third.WaitForExit(absl::Seconds(20)), 1);
  EXPECT_THAT(third.Stderr(), HasSubstr("(--metrics-listen)"));
}

TEST(ServerProcessTest, ABusyPortExitsOne) {
  ServerProcess first(kLoopback);
  ASSERT_GT(first.port(), 0);
  ServerProcess second({"--listen", absl::StrCat("127.0.0.1:", first.port())});
  EXPECT_EQ(second.WaitForExit(absl::Seconds(20)), 1);
  EXPECT_THAT(second.Stderr(), HasSubstr(R"("level":"error","msg":"cannot listen on '127.0.0.1:)"));
}

}  // namespace
}  // namespace qbake::testing
