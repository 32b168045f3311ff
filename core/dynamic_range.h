// DYNAMIC scale and offset (BAKING.md 3.3), solved like PPQ's minmax_to_scale_offset
// from the range of a tensor or of one channel slice: in double, with the range
// widened to include zero, the scale floored at 1e-8, the asymmetric offset rounded
// half to even from that scale, and then, under POWER_OF_2, the scale rounded up to
// a power of two.
#ifndef QBAKE_CORE_DYNAMIC_RANGE_H_
#define QBAKE_CORE_DYNAMIC_RANGE_H_

#include <algorithm>
#include <cstddef>

#include "core/quant_config.h"

namespace qbake {

// min(0, values...) and max(0, values...): the range starts at zero, as 3.3 widens it
// to zero anyway. Starting there makes the result independent of the order the
// values are seen in, even for -0.0 (a -0.0 never replaces the starting +0.0), so
// every code path and thread count finds the same bits.
struct ValueRange {
  float min = 0;
  float max = 0;

  void Merge(const ValueRange& other) {
    min = std::min(min, other.min);
    max = std::max(max, other.max);
  }
};

// The range of values[begin, end) (finite values), on the code path that
// core/kernels/kernel_dispatch.h selects.
ValueRange ObserveRange(const float* values, size_t begin, size_t end);

struct SolvedScale {
  double scale = 1;
  double offset = 0;
};

SolvedScale SolveDynamicScale(const ValueRange& range, const TensorQuantConfig& config);

}  // namespace qbake

#endif  // QBAKE_CORE_DYNAMIC_RANGE_H_
