// A bounded load test on loopback: kClients concurrent qbake processes each bake
// kBakesPerClient models of mixed sizes on one qbake-server. Every bake must
// succeed with outputs byte-identical to a local bake of the same model, the
// server's resident memory after the run must have grown by less than a leak of the
// smallest model on one bake in four would add (kLeakAllowanceKib) since a warm-up
// round of the same shape, and the server must then exit cleanly on SIGTERM
// (with LeakSanitizer's verdict, in the sanitizer build). Prints clients, bakes,
// errors, throughput, p50/p99 latency (a whole `qbake bake --server` process each)
// and the memory figures.
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/remote_test_support.h"
#include "tests/reliability/reliability_support.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/small_model.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

constexpr int kClients = 4;
constexpr int kBakesPerClient = 25;
// Less than one bake in four of the 100 leaking its model, the smallest (the bundled
// case, 272 KB), would keep: 25 x 272 KB. The growth measured without a leak was 0 to
// 2.2 MB (gRPC starts threads as load comes, most on a loaded machine), so a relative
// 10% of the server's 20 MB failed one run in five under load. Leaks of less than a
// model a bake are LeakSanitizer's to find (.ci/sanitizers).
constexpr int64_t kLeakAllowanceKib = 25 * 272;

// A model to bake and its outputs from a local bake.
struct LoadModel {
  std::string model;
  std::string config;
  std::unique_ptr<ScratchFolder> expected;
};

// Whether `actual` holds the files of `expected`, byte for byte (the report but
// for its timings).
bool SameOutputs(const ScratchFolder& expected, const ScratchFolder& actual) {
  const std::vector<std::string> files = FilesUnder(expected.path());
  if (FilesUnder(actual.path()) != files) return false;
  for (const std::string& file : files) {
    if (file == "report.json") {
      if (ReportWithoutTimings(actual / file) != ReportWithoutTimings(expected / file))
        return false;
    } else if (ReadFileOrDie(actual / file) != ReadFileOrDie(expected / file)) {
      return false;
    }
  }
  return true;
}

// What a round of bakes gave.
struct Round {
  int errors = 0;
  std::vector<double> latencies_ms;  // one per bake
  double seconds = 0;
};

class LoadTest : public ::testing::Test {
 protected:
  // Three sizes: a bundled case (272 KB), 256 KiB and 4 MiB of weights.
  void SetUp() override {
    AddModel(TestDataPath("ppq_e2e/synth_trt_int8/model.onnx"),
             TestDataPath("ppq_e2e/synth_trt_int8/ppq_config.json"));
    for (int64_t rows : {8192, 131072}) {
      const std::string name = "rows" + std::to_string(rows);
      WriteFileOrDie(inputs_.path() / (name + ".onnx"), ModelWithRows(rows).SerializeAsString());
      AddModel(inputs_ / (name + ".onnx"), inputs_ / "config.json");
    }
  }

  void AddModel(const std::string& model, const std::string& config) {
    WriteFileOrDie(inputs_.path() / "config.json", SmallModelConfig());
    auto expected = std::make_unique<ScratchFolder>();
    ASSERT_EQ(BakeInto(model, config, *expected).exit_code, 0) << model;
    models_.push_back({model, config, std::move(expected)});
  }

  // One remote bake of models_[index]; false on an error or an output that differs.
  bool BakeOnce(const ServerProcess& server, size_t index) {
    const LoadModel& model = models_[index];
    ScratchFolder out;
    const ProcessResult run = BakeInto(model.model, model.config, out, RemoteFlags(server));
    return run.exit_code == 0 && SameOutputs(*model.expected, out);
  }

  // kClients threads, each baking `bakes` models in turn (client c starts at model c).
  Round RunRound(const ServerProcess& server, int bakes) {
    Round round;
    Mutex mu;
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> clients;
    for (int client = 0; client < kClients; ++client) {
      clients.emplace_back([&, client] {
        for (int bake = 0; bake < bakes; ++bake) {
          const auto began = std::chrono::steady_clock::now();
          const bool ok = BakeOnce(server, static_cast<size_t>(client + bake) % models_.size());
          const std::chrono::duration<double, std::milli> took =
              std::chrono::steady_clock::now() - began;
          MutexLock lock(&mu);
          round.errors += ok ? 0 : 1;
          round.latencies_ms.push_back(took.count());
        }
      });
    }
    for (std::thread& client : clients) client.join();
    round.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return round;
  }

  ScratchFolder inputs_;
  std::vector<LoadModel> models_;
};

TEST_F(LoadTest, ConcurrentClientsBakeBitExactInBoundedMemory) {
  // qbake-server pins glibc's allocator itself (common/allocator_settings.h): without
  // that its RSS would depend on how the bakes happened to overlap, not on what it keeps.
  const std::unique_ptr<ServerProcess> server =
      StartServerMeasuringMemory({"--max-concurrent", "8"});
  // The warm-up is the same round, twice: the server then holds the threads, caches
  // and pools such a load needs (gRPC starts threads as load comes), so what comes
  // after is what a run keeps.
  for (int round = 0; round < 2; ++round) ASSERT_EQ(RunRound(*server, kBakesPerClient).errors, 0);
  const int64_t before_kib = ResidentKib(server->pid());
  const Round load = RunRound(*server, kBakesPerClient);
  const int64_t after_kib = ResidentKib(server->pid());

  const int bakes = kClients * kBakesPerClient;
  std::printf(
      "load: %d clients x %d bakes = %d bakes, %d errors, %.1f s, %.1f bakes/s, "
      "p50 %.0f ms, p99 %.0f ms, server RSS %lld KiB before, %lld KiB after\n",
      kClients, kBakesPerClient, bakes, load.errors, load.seconds, bakes / load.seconds,
      Percentile(load.latencies_ms, 0.5), Percentile(load.latencies_ms, 0.99),
      static_cast<long long>(before_kib), static_cast<long long>(after_kib));
  EXPECT_EQ(load.errors, 0);
  EXPECT_EQ(load.latencies_ms.size(), static_cast<size_t>(bakes));
  ASSERT_GT(before_kib, 0);
  EXPECT_LE(after_kib, before_kib + kLeakAllowanceKib * kShadowFactor);
  EXPECT_EQ(RunHealth(*server).out, "SERVING\n");
  // A clean exit after the drain; in the AddressSanitizer build (.ci/sanitizers) this
  // is also LeakSanitizer's verdict on everything the load allocated.
  server->Signal(SIGTERM);
  EXPECT_EQ(server->WaitForExit(absl::Seconds(60)), 0) << server->Stderr();
}

}  // namespace
}  // namespace qbake::testing
