// Bursts of clients against one real qbake-server process, through the real CLI: on
// default settings a burst of 16 `qbake bake --server` runs waits in the server's
// queue and every run succeeds, bit-exact; beyond the queue, refused runs are told
// to come back (RESOURCE_EXHAUSTED with a retry hint), retry, and succeed; and a
// client that may not retry exits 3. Prints errors and p50/p99 latencies (whole
// processes, queue wait included).
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "core/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/remote_test_support.h"
#include "tests/reliability/held_call.h"
#include "tests/reliability/reliability_support.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/small_model.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// 4 MiB of weights: the CLI sends it by BakeStream, and a bake lasts long enough
// that a burst overlaps.
constexpr int64_t kRows = 131072;

struct Burst {
  std::vector<ProcessResult> runs;
  std::vector<double> latencies_ms;
  int mismatches = 0;  // outputs that differ from the local bake
};

class OverloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFileOrDie(inputs_.path() / "config.json", SmallModelConfig());
    WriteFileOrDie(inputs_.path() / "model.onnx", ModelWithRows(kRows).SerializeAsString());
    ASSERT_EQ(BakeInto(inputs_ / "model.onnx", inputs_ / "config.json", expected_).exit_code, 0);
  }

  // `clients` remote bakes started at once, each a `qbake bake --server` process.
  Burst RunBurst(const ServerProcess& server, int clients, std::vector<std::string> flags = {}) {
    Burst burst;
    Mutex mu;
    std::vector<std::thread> threads;
    for (int client = 0; client < clients; ++client) {
      threads.emplace_back([&] {
        ScratchFolder out;
        const absl::Time began = absl::Now();
        ProcessResult run = BakeInto(inputs_ / "model.onnx", inputs_ / "config.json", out,
                                     RemoteFlags(server, flags));
        const double ms = absl::ToDoubleMilliseconds(absl::Now() - began);
        const bool same = run.exit_code != 0 || SameFiles(out);
        MutexLock lock(&mu);
        burst.latencies_ms.push_back(ms);
        burst.mismatches += same ? 0 : 1;
        burst.runs.push_back(std::move(run));
      });
    }
    for (std::thread& thread : threads) thread.join();
    return burst;
  }

  bool SameFiles(const ScratchFolder& out) const {
    for (const std::string& file : FilesUnder(expected_.path())) {
      if (file == "report.json") continue;
      if (ReadFileOrDie(out / file) != ReadFileOrDie(expected_ / file)) return false;
    }
    return FilesUnder(out.path()) == FilesUnder(expected_.path());
  }

  static int Failures(const Burst& burst) {
    int failures = 0;
    for (const ProcessResult& run : burst.runs) failures += run.exit_code == 0 ? 0 : 1;
    return failures;
  }

  static void Print(const char* name, const Burst& burst) {
    std::printf("%s: %zu clients, %d failed, p50 %.0f ms, p99 %.0f ms\n", name, burst.runs.size(),
                Failures(burst), Percentile(burst.latencies_ms, 0.5),
                Percentile(burst.latencies_ms, 0.99));
  }

  ScratchFolder inputs_;
  ScratchFolder expected_;
};

TEST_F(OverloadTest, SixteenClientsAtOnceOnDefaultSettingsAllSucceed) {
  // The defaults but the address: threads one per core, 2 x threads served at once,
  // 64 queued.
  const std::unique_ptr<ServerProcess> server = StartServer({});
  const Burst burst = RunBurst(*server, 16, {"--retries", "0"});
  Print("16 clients, default settings", burst);
  EXPECT_EQ(Failures(burst), 0);
  EXPECT_EQ(burst.mismatches, 0);
  for (const ProcessResult& run : burst.runs) EXPECT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> codes = AwaitLoggedCodes(*server, 16);
  EXPECT_EQ(codes, std::vector<std::string>(16, "OK"));
  // Some waited: more came than the server serves at once.
  double longest_wait = 0;
  for (const nlohmann::json& call : LoggedCalls(server->Stderr())) {
    longest_wait = std::max(longest_wait, call["queued_seconds"].get<double>());
  }
  EXPECT_GT(longest_wait, 0.0);
}

TEST_F(OverloadTest, RunsRefusedBeyondTheQueueRetryAndSucceed) {
  const std::unique_ptr<ServerProcess> server =
      StartServer({"--max-concurrent", "1", "--max-queued", "1"});
  // The one place is taken, so of 4 runs one waits and 3 are refused; each refused
  // run retries, and once the place comes back (when the server has logged the 3
  // refusals) all get through.
  auto held = std::make_unique<HeldCall>(*server);
  ASSERT_TRUE(held->admitted());
  std::thread let_go([&held, &server] {
    // Up to a minute: under a sanitizer, beside other suites, 4 clients start slowly.
    AwaitLoggedCodes(*server, 3, std::chrono::minutes(1));
    held.reset();
  });
  const Burst burst = RunBurst(*server, 4);
  let_go.join();
  Print("4 clients, 1 place, 1 queued", burst);
  EXPECT_EQ(Failures(burst), 0);
  EXPECT_EQ(burst.mismatches, 0);
  int retried = 0;
  for (const ProcessResult& run : burst.runs) {
    EXPECT_EQ(run.exit_code, 0) << run.err;
    for (const std::string& line : run.ErrLines()) {
      EXPECT_THAT(line, StartsWith("qbake: warning: qbake-server is busy"));
      EXPECT_THAT(line, HasSubstr("trying again in"));
      ++retried;
    }
  }
  EXPECT_GE(retried, 3);
  EXPECT_THAT(LoggedCodes(server->Stderr()), Contains("RESOURCE_EXHAUSTED"));
}

TEST_F(OverloadTest, ARunThatMayNotRetryExitsThree) {
  const std::unique_ptr<ServerProcess> server =
      StartServer({"--max-concurrent", "1", "--max-queued", "0"});
  HeldCall held(*server);
  ASSERT_TRUE(held.admitted());
  const Burst burst = RunBurst(*server, 1, {"--retries", "0"});
  const ProcessResult& run = burst.runs.front();
  EXPECT_EQ(run.exit_code, 3) << run.err;
  ASSERT_EQ(run.ErrLines().size(), 1u) << run.err;
  EXPECT_THAT(run.err, StartsWith("qbake: error: qbake-server is busy"));
  EXPECT_THAT(run.err, HasSubstr("--max-queued"));
}

}  // namespace
}  // namespace qbake::testing
