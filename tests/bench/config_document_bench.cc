// Google Benchmark of reading PPQ config documents of hostile size (issue: a hostile
// tenant must not take a replica down): every shape must read in O(n log n) or
// better, so the time per entry stays about flat as the document grows.
// Run: build/tests/bench/config_document_bench
#include <string>

#include "benchmark/benchmark.h"
#include "core/ppq_config_document.h"
#include "tests/support/large_config_documents.h"

namespace qbake {
namespace {

void ParseAndRender(benchmark::State& state, const std::string& document) {
  for (auto _ : state) {
    absl::StatusOr<PpqConfigDocument> parsed = PpqConfigDocument::Parse(document);
    if (!parsed.ok()) state.SkipWithError(std::string(parsed.status().message()).c_str());
    benchmark::DoNotOptimize(parsed->Render({}));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(document.size()));
}

void BM_ValueKeys(benchmark::State& state) {
  ParseAndRender(state, testing::DocumentWithValueKeys(state.range(0)));
}
BENCHMARK(BM_ValueKeys)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_Operations(benchmark::State& state) {
  ParseAndRender(state, testing::DocumentWithConfigs(state.range(0), 1));
}
BENCHMARK(BM_Operations)->Arg(200000)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_VariablesOfOneOperation(benchmark::State& state) {
  ParseAndRender(state, testing::DocumentWithConfigs(1, state.range(0)));
}
BENCHMARK(BM_VariablesOfOneOperation)->Arg(200000)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace qbake

BENCHMARK_MAIN();
