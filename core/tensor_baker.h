// Bakes float32 tensors with resolved configs: LINEAR, FLOATING or DYNAMIC, per
// tensor or per channel, in place. A TensorBakeJob splits its tensor into fixed-size
// chunks that do not depend on the pool size, and merges per-chunk results in chunk
// order, so every output, integer and statistic is identical for any thread count.
// RunBakeJobs spreads the chunks of many tensors over one pool.
#ifndef QBAKE_CORE_TENSOR_BAKER_H_
#define QBAKE_CORE_TENSOR_BAKER_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/types/span.h"
#include "core/dynamic_range.h"
#include "core/error_stats.h"
#include "core/floating_format.h"
#include "core/quant_config.h"
#include "core/thread_pool.h"

namespace qbake {

struct TensorBakeResult {
  std::vector<float> scale;   // the scale used (solved, for DYNAMIC)
  std::vector<float> offset;  // the offset used (solved, for DYNAMIC)
  double max_abs_error = 0;
  double mean_squared_error = 0;
  // The flat index of the first baked value that is not finite, or -1. None is for a
  // config whose scale and offset pass FindDequantizeOverflow (core/dequantized_range.h).
  int64_t first_non_finite = -1;
};

class TensorBakeJob {
 public:
  // `dims` is the row-major shape of `values` (empty for a scalar); the config must
  // be validated against it (ConfigResolver does) and values must be finite. A
  // DYNAMIC config needs at least one value to solve from. When
  // `integers` is not empty it has values.size() entries and receives the clamped q
  // of a LINEAR or DYNAMIC bake. The job refers to `values` and `integers`.
  TensorBakeJob(const TensorQuantConfig& config, absl::Span<const int64_t> dims,
                absl::Span<float> values, absl::Span<int32_t> integers);

  size_t chunk_count() const { return chunk_errors_.size(); }
  bool is_dynamic() const { return config_.Has(kDynamic); }
  // The config baked with: for DYNAMIC, its scale and offset once solved.
  const TensorQuantConfig& config() const { return config_; }

  // DYNAMIC only: observe a chunk's value ranges, then solve scale and offset.
  void ObserveChunk(size_t chunk);
  void Solve();

  // From now on BakeChunk first looks for a NaN or infinity in its chunk, and on
  // finding one leaves the chunk as it is: the values need not be finite then. For a
  // job that is not DYNAMIC (its solve would see them).
  void CheckEachChunk();
  void BakeChunk(size_t chunk);
  // After BakeChunk with CheckEachChunk: the flat index of the first NaN or infinity
  // among the values (in a chunk left as it was), or -1.
  int64_t FirstNonFiniteInput() const;
  TensorBakeResult Finish() const;

 private:
  // Calls fn(begin, end, channel) for the runs of one channel inside the chunk.
  template <typename Fn>
  void ForEachRun(size_t chunk, Fn&& fn) const;

  TensorQuantConfig config_;
  absl::Span<float> values_;
  absl::Span<int32_t> integers_;
  int64_t inner_ = 1;     // elements per channel run
  int64_t channels_ = 1;  // 1 for PER_TENSOR
  std::optional<FloatingFormat> floating_;
  std::vector<ErrorStats> chunk_errors_;
  std::vector<std::vector<std::pair<int64_t, ValueRange>>> chunk_ranges_;
  // With CheckEachChunk, per chunk: its first non-finite value's flat index, or -1.
  std::vector<int64_t> chunk_non_finite_;
};

// Observes and solves every DYNAMIC job.
void SolveDynamicJobs(absl::Span<TensorBakeJob* const> jobs, ThreadPool* pool);
// Bakes every chunk of every job; DYNAMIC jobs must be solved.
void BakeJobs(absl::Span<TensorBakeJob* const> jobs, ThreadPool* pool);
// SolveDynamicJobs, then BakeJobs.
void RunBakeJobs(absl::Span<TensorBakeJob* const> jobs, ThreadPool* pool);

// One tensor: a job run on the pool.
TensorBakeResult BakeTensor(const TensorQuantConfig& config, absl::Span<const int64_t> dims,
                            absl::Span<float> values, absl::Span<int32_t> integers,
                            ThreadPool* pool);

// Index of the first NaN or infinity in `values`, or -1 when all are finite.
int64_t FirstNonFinite(absl::Span<const float> values);
// The same, slices of a large span searched in parallel on `pool`.
int64_t FirstNonFinite(absl::Span<const float> values, ThreadPool* pool);

}  // namespace qbake

#endif  // QBAKE_CORE_TENSOR_BAKER_H_
