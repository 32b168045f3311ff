// Replicas: three qbake-server processes on loopback behind one client target
// (ipv4:127.0.0.1:A,127.0.0.1:B,127.0.0.1:C, spread round robin). Four clients bake
// ten models each while one replica is SIGKILLed with a call in flight on it (its
// metrics say so) and another is SIGTERMed with a call in flight: every bake
// succeeds, byte-identical to a local bake, the lost calls replayed on the others.
#include <signal.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "core/mutex.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/remote_test_support.h"
#include "tests/reliability/reliability_support.h"
#include "tests/support/http_get.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/small_model.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

constexpr int kReplicas = 3;
constexpr int kClients = 4;
constexpr int kBakesPerClient = 10;
// 16 MiB of weights: a bake lasts long enough to be caught in flight.
constexpr int64_t kRows = int64_t{1} << 19;

// The calls `replica` serves now, by its metrics; -1 when they cannot be read.
double InFlight(const ServerProcess& replica) {
  const absl::StatusOr<std::string> metrics = HttpGet(replica.metrics_address(), "/metrics");
  return metrics.ok() ? MetricValue(*metrics, "qbake_calls_in_flight") : -1;
}

// Waits until `replica` serves a call and `done` bakes have finished (or 60 s pass).
bool AwaitCallInFlight(const ServerProcess& replica, const std::atomic<int>& done, int after) {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    if (done.load() >= after && InFlight(replica) >= 1) return true;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return false;
}

TEST(ReplicaTest, OneReplicaKilledAndOneDrainedMidRunEveryBakeSucceeds) {
  ScratchFolder inputs;
  WriteFileOrDie(inputs.path() / "config.json", SmallModelConfig());
  WriteFileOrDie(inputs.path() / "model.onnx", ModelWithRows(kRows).SerializeAsString());
  ScratchFolder expected;
  ASSERT_EQ(BakeInto(inputs / "model.onnx", inputs / "config.json", expected).exit_code, 0);

  std::vector<std::unique_ptr<ServerProcess>> replicas;
  std::vector<std::string> addresses;
  for (int i = 0; i < kReplicas; ++i) {
    replicas.push_back(StartServer({"--metrics-listen", "127.0.0.1:0", "--grace-period", "60"}));
    ASSERT_FALSE(replicas.back()->metrics_address().empty()) << replicas.back()->first_line();
    addresses.push_back(absl::StrCat("127.0.0.1:", replicas.back()->port()));
  }
  const std::string target = absl::StrCat("ipv4:", absl::StrJoin(addresses, ","));

  std::atomic<int> done{0};
  Mutex mu;
  std::vector<ProcessResult> runs;
  int mismatches = 0;
  std::vector<std::thread> clients;
  for (int client = 0; client < kClients; ++client) {
    clients.emplace_back([&] {
      for (int bake = 0; bake < kBakesPerClient; ++bake) {
        ScratchFolder out;
        ProcessResult run = BakeInto(inputs / "model.onnx", inputs / "config.json", out,
                                     {"--server", target, "--deadline", "120"});
        const bool same = run.exit_code == 0 &&
                          ReadFileOrDie(out / "out.onnx") == ReadFileOrDie(expected / "out.onnx") &&
                          ReadFileOrDie(out / "out.json") == ReadFileOrDie(expected / "out.json");
        MutexLock lock(&mu);
        mismatches += same ? 0 : 1;
        runs.push_back(std::move(run));
        ++done;
      }
    });
  }
  // A quarter of the way in, replica 0 dies with a call in flight; halfway, replica 1
  // is told to stop with a call in flight (which it finishes, refusing new ones).
  const bool killed = AwaitCallInFlight(*replicas[0], done, kClients * kBakesPerClient / 4);
  if (killed) replicas[0]->Signal(SIGKILL);
  const bool drained = AwaitCallInFlight(*replicas[1], done, kClients * kBakesPerClient / 2);
  if (drained) replicas[1]->Signal(SIGTERM);
  for (std::thread& client : clients) client.join();

  ASSERT_TRUE(killed);
  ASSERT_TRUE(drained);
  int retries = 0;
  for (const ProcessResult& run : runs) {
    EXPECT_EQ(run.exit_code, 0) << run.err;
    for (const std::string& line : run.ErrLines()) {
      EXPECT_TRUE(absl::StartsWith(line, "qbake: warning: ")) << line;
      ++retries;
    }
  }
  std::printf(
      "replicas: %d clients x %d bakes over %d replicas, one killed, one drained: "
      "%zu runs, %d mismatches, %d retries\n",
      kClients, kBakesPerClient, kReplicas, runs.size(), mismatches, retries);
  EXPECT_EQ(runs.size(), static_cast<size_t>(kClients * kBakesPerClient));
  EXPECT_EQ(mismatches, 0);
  // At least the call in flight on the killed replica was replayed.
  EXPECT_GE(retries, 1);
  EXPECT_EQ(replicas[1]->WaitForExit(absl::Seconds(60)), 0) << replicas[1]->Stderr();
  EXPECT_EQ(RunHealth(*replicas[2]).out, "SERVING\n");
}

}  // namespace
}  // namespace qbake::testing
