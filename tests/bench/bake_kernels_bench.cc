// Google Benchmark kernels for issue 4's ratios: every bake kernel's bandwidth, on
// every kernel path this CPU has (scalar, avx2, avx512), next to memcpy's, measured
// in the same process with the same pool (all cores). Each benchmark reports the
// tensor size as bytes processed: a bake reads and writes the tensor in place, a
// copy reads it and writes another one, so the GB/s values compare directly.
// A bake benchmark restores its tensor with the same parallel memcpy before each
// iteration, untimed, and reports that copy's bandwidth as the counter memcpy_GBps:
// a memcpy measured interleaved with the bake, which other load on the machine
// slows down alike. tests/bench/run_benchmarks runs this and prints the ratios.
#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/kernels/kernel_dispatch.h"
#include "core/tensor_baker.h"
#include "core/thread_pool.h"

namespace qbake {
namespace {

constexpr int64_t kRows = 4096;  // 4096 x 32768 float32 = 512 MiB
constexpr int64_t kCols = 32768;

// Weights of a typical spread, fixed by the seed.
const std::vector<float>& Source() {
  static const std::vector<float>* values = [] {
    auto* v = new std::vector<float>(static_cast<size_t>(kRows * kCols));
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 0.05f);
    for (float& x : *v) x = normal(rng);
    return v;
  }();
  return *values;
}

ThreadPool& Pool() {
  static ThreadPool* pool = new ThreadPool(0);
  return *pool;
}

void SetBytes(benchmark::State& state) {
  state.SetBytesProcessed(state.iterations() * kRows * kCols * static_cast<int64_t>(sizeof(float)));
  state.counters["threads"] = Pool().size();
}

// Copies the tensor in 64 parts spread over the pool.
void ParallelCopy(const std::vector<float>& source, std::vector<float>* target) {
  constexpr size_t kParts = 64;
  const size_t part = source.size() / kParts;
  Pool().ParallelFor(kParts, [&](size_t i) {
    std::memcpy(target->data() + i * part, source.data() + i * part, part * sizeof(float));
  });
}

void BM_Memcpy(benchmark::State& state) {
  std::vector<float> target(Source().size());
  for (auto _ : state) {
    ParallelCopy(Source(), &target);
    benchmark::DoNotOptimize(target.data());
  }
  SetBytes(state);
}

// A per-channel config along axis 0 (4096 channels of 32768 values).
TensorQuantConfig PerChannel(uint32_t policy) {
  TensorQuantConfig config;
  config.policy = policy;
  config.channel_axis = 0;
  if (policy & kDynamic) return config;
  config.scale.assign(kRows, 0.0009765625f);
  config.offset.assign(kRows, 0.0f);
  if (policy & kFloating) {
    config.exponent_bits = 4;
    config.quant_min = -448;
    config.quant_max = 448;
  }
  return config;
}

// Bakes a fresh copy of Source() per iteration; the copy is timed apart.
void BM_Bake(benchmark::State& state, uint32_t policy, KernelPath path) {
  const ScopedKernelPath scoped(path);
  const TensorQuantConfig config = PerChannel(policy);
  std::vector<float> values(Source().size());
  std::chrono::duration<double> copy_time{0};
  for (auto _ : state) {
    state.PauseTiming();
    const auto copy_start = std::chrono::steady_clock::now();
    ParallelCopy(Source(), &values);
    copy_time += std::chrono::steady_clock::now() - copy_start;
    state.ResumeTiming();
    BakeTensor(config, {kRows, kCols}, absl::MakeSpan(values), {}, &Pool());
    benchmark::DoNotOptimize(values.data());
  }
  SetBytes(state);
  state.counters["memcpy_GBps"] = static_cast<double>(state.iterations()) * kRows * kCols *
                                  sizeof(float) / 1e9 / copy_time.count();
}

// Wall time (the pool's threads do the work), at least 1 s per benchmark.
void Configure(benchmark::internal::Benchmark* benchmark) {
  benchmark->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1);
}

void RegisterAll() {
  Configure(benchmark::RegisterBenchmark("memcpy", BM_Memcpy));
  const struct {
    const char* name;
    uint32_t policy;
  } kernels[] = {
      {"linear_per_channel_int8", kPerChannel | kLinear | kSymmetrical},
      {"floating_e4m3", kPerChannel | kFloating | kSymmetrical | kPowerOf2},
      {"dynamic_per_channel_uint8", kPerChannel | kLinear | kAsymmetrical | kDynamic},
  };
  for (KernelPath path : SupportedKernelPaths()) {
    for (const auto& kernel : kernels) {
      const std::string name = std::string(kernel.name) + "/" + std::string(KernelPathName(path));
      Configure(benchmark::RegisterBenchmark(name.c_str(), BM_Bake, kernel.policy, path));
    }
  }
}

}  // namespace
}  // namespace qbake

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  qbake::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
