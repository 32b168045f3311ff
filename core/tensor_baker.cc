#include "core/tensor_baker.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/float_bits.h"
#include "core/kernels/floating_kernel.h"
#include "core/kernels/linear_kernel.h"

namespace qbake {
namespace {

// 256 KiB of float32 per chunk: large enough to amortize scheduling, small enough to
// spread a single big tensor over every core.
constexpr int64_t kChunkElements = int64_t{1} << 16;

// Of dims whose whole product fits int64.
int64_t Product(absl::Span<const int64_t> dims) {
  int64_t product = 1;
  for (int64_t d : dims) product *= d;
  return product;
}

}  // namespace

TensorBakeJob::TensorBakeJob(const TensorQuantConfig& config, absl::Span<const int64_t> dims,
                             absl::Span<float> values, absl::Span<int32_t> integers)
    : config_(config), values_(values), integers_(integers) {
  // Without values no run is baked, and the dims (one of them 0, the others anything)
  // must size nothing: not the channels a DYNAMIC job solves, nor their products.
  if (config_.Has(kPerChannel) && !values.empty()) {
    channels_ = dims[config_.channel_axis];
    inner_ = Product(dims.subspan(config_.channel_axis + 1));
  } else {
    inner_ = std::max<int64_t>(static_cast<int64_t>(values.size()), 1);
  }
  if (config_.Has(kFloating)) {
    floating_.emplace(config_.exponent_bits, config_.mantissa_bits(), config_.quant_min,
                      config_.quant_max);
  }
  const auto size = static_cast<int64_t>(values.size());
  const auto chunks = static_cast<size_t>((size + kChunkElements - 1) / kChunkElements);
  chunk_errors_.resize(chunks);
  if (is_dynamic()) chunk_ranges_.resize(chunks);
}

template <typename Fn>
void TensorBakeJob::ForEachRun(size_t chunk, Fn&& fn) const {
  const int64_t begin = static_cast<int64_t>(chunk) * kChunkElements;
  const int64_t end = std::min(begin + kChunkElements, static_cast<int64_t>(values_.size()));
  for (int64_t i = begin; i < end;) {
    const int64_t run_end = std::min(end, (i / inner_ + 1) * inner_);
    fn(i, run_end, (i / inner_) % channels_);
    i = run_end;
  }
}

void TensorBakeJob::ObserveChunk(size_t chunk) {
  auto& ranges = chunk_ranges_[chunk];
  ForEachRun(chunk, [&](int64_t begin, int64_t end, int64_t channel) {
    ranges.emplace_back(channel, ObserveRange(values_.data(), static_cast<size_t>(begin),
                                              static_cast<size_t>(end)));
  });
}

void TensorBakeJob::Solve() {
  std::vector<ValueRange> ranges(static_cast<size_t>(channels_));
  for (const auto& chunk : chunk_ranges_) {
    for (const auto& [channel, range] : chunk) ranges[channel].Merge(range);
  }
  config_.scale.clear();
  config_.offset.clear();
  for (const ValueRange& range : ranges) {
    const SolvedScale solved = SolveDynamicScale(range, config_);
    config_.scale.push_back(static_cast<float>(solved.scale));
    config_.offset.push_back(static_cast<float>(solved.offset));
  }
}

void TensorBakeJob::CheckEachChunk() { chunk_non_finite_.assign(chunk_count(), -1); }

void TensorBakeJob::BakeChunk(size_t chunk) {
  if (!chunk_non_finite_.empty()) {
    // The chunk is read here and baked from the cache.
    const size_t begin = chunk * static_cast<size_t>(kChunkElements);
    const int64_t at = FirstNonFinite(values_.subspan(begin, static_cast<size_t>(kChunkElements)));
    if (at >= 0) {
      chunk_non_finite_[chunk] = static_cast<int64_t>(begin) + at;
      return;
    }
  }
  const LinearParams linear{config_.rounding, static_cast<float>(config_.quant_min),
                            static_cast<float>(config_.quant_max), IntegerTypeOf(config_)};
  ErrorStats& errors = chunk_errors_[chunk];
  ForEachRun(chunk, [&](int64_t begin, int64_t end, int64_t channel) {
    const size_t param = config_.scale.size() == 1 ? 0 : static_cast<size_t>(channel);
    const float scale = config_.scale[param];
    const float offset = config_.offset.empty() ? 0.0f : config_.offset[param];
    const TensorRun run{values_.data(), integers_.empty() ? nullptr : integers_.data(),
                        static_cast<size_t>(begin), static_cast<size_t>(end)};
    if (floating_) {
      FloatingBakeRun(*floating_, config_.rounding, scale, offset, run, &errors);
    } else {
      LinearBakeRun(linear, scale, offset, run, &errors);
    }
  });
}

int64_t TensorBakeJob::FirstNonFiniteInput() const {
  for (const int64_t at : chunk_non_finite_) {
    if (at >= 0) return at;
  }
  return -1;
}

TensorBakeResult TensorBakeJob::Finish() const {
  ErrorStats total;
  for (const ErrorStats& chunk : chunk_errors_) total.Merge(chunk);
  TensorBakeResult result;
  result.scale = config_.scale;
  result.offset = config_.offset;
  if (result.offset.empty()) result.offset.assign(result.scale.size(), 0.0f);
  result.max_abs_error = total.max_abs;
  if (!values_.empty()) {
    result.mean_squared_error = total.sum_squared() / static_cast<double>(values_.size());
  }
  // A non-finite baked value makes its squared error, and so the sum, non-finite;
  // finite ones keep it finite (each adds at most (2 * FLT_MAX)^2), so only a bake
  // that went wrong pays for the search.
  if (!std::isfinite(total.sum_squared())) result.first_non_finite = FirstNonFinite(values_);
  return result;
}

namespace {

// Runs fn(job, chunk) for every chunk of the selected jobs, spread over the pool.
template <typename Fn>
void ForEveryChunk(absl::Span<TensorBakeJob* const> jobs, ThreadPool* pool, bool dynamic_only,
                   Fn&& fn) {
  std::vector<std::pair<TensorBakeJob*, size_t>> work;
  for (TensorBakeJob* job : jobs) {
    if (dynamic_only && !job->is_dynamic()) continue;
    for (size_t c = 0; c < job->chunk_count(); ++c) work.emplace_back(job, c);
  }
  pool->ParallelFor(work.size(), [&](size_t i) { fn(work[i].first, work[i].second); });
}

}  // namespace

void SolveDynamicJobs(absl::Span<TensorBakeJob* const> jobs, ThreadPool* pool) {
  ForEveryChunk(jobs, pool, /*dynamic_only=*/true,
                [](TensorBakeJob* job, size_t chunk) { job->ObserveChunk(chunk); });
  for (TensorBakeJob* job : jobs) {
    if (job->is_dynamic()) job->Solve();
  }
}

void BakeJobs(absl::Span<TensorBakeJob* const> jobs, ThreadPool* pool) {
  ForEveryChunk(jobs, pool, /*dynamic_only=*/false,
                [](TensorBakeJob* job, size_t chunk) { job->BakeChunk(chunk); });
}

void RunBakeJobs(absl::Span<TensorBakeJob* const> jobs, ThreadPool* pool) {
  SolveDynamicJobs(jobs, pool);
  BakeJobs(jobs, pool);
}

TensorBakeResult BakeTensor(const TensorQuantConfig& config, absl::Span<const int64_t> dims,
                            absl::Span<float> values, absl::Span<int32_t> integers,
                            ThreadPool* pool) {
  TensorBakeJob job(config, dims, values, integers);
  TensorBakeJob* jobs[] = {&job};
  RunBakeJobs(jobs, pool);
  return job.Finish();
}

int64_t FirstNonFinite(absl::Span<const float> values) {
  // Whole blocks are tested with bit operations alone, which the compiler
  // vectorizes; the first value is then looked for from the block that has one.
  // An exponent of all ones (infinity or NaN) is the one that, plus its lowest bit,
  // carries into the sign bit.
  constexpr size_t kBlock = 64;
  constexpr uint32_t kExponent = 0x7f800000;
  constexpr uint32_t kExponentLowBit = 0x00800000;
  constexpr uint32_t kSign = 0x80000000;
  size_t i = 0;
  for (; i + kBlock <= values.size(); i += kBlock) {
    uint32_t carries = 0;
    for (size_t j = i; j < i + kBlock; ++j) {
      carries |= (FloatBits(values[j]) & kExponent) + kExponentLowBit;
    }
    if ((carries & kSign) != 0) break;
  }
  for (; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) return static_cast<int64_t>(i);
  }
  return -1;
}

int64_t FirstNonFinite(absl::Span<const float> values, ThreadPool* pool) {
  constexpr size_t kSliceValues = size_t{1} << 20;  // 4 MiB a task
  const size_t slices = (values.size() + kSliceValues - 1) / kSliceValues;
  if (slices <= 1 || pool->size() <= 1) return FirstNonFinite(values);
  std::vector<int64_t> found(slices, -1);
  pool->ParallelFor(slices, [&](size_t slice) {
    const size_t begin = slice * kSliceValues;
    const int64_t at = FirstNonFinite(values.subspan(begin, kSliceValues));
    if (at >= 0) found[slice] = static_cast<int64_t>(begin) + at;
  });
  for (const int64_t at : found) {
    if (at >= 0) return at;
  }
  return -1;
}

}  // namespace qbake
