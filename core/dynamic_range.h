// DYNAMIC scale and offset (BAKING.md 3.3), solved like PPQ's minmax_to_scale_offset
// from the range of a tensor or of one channel slice: in double, with the range
// widened to include zero, the scale floored at 1e-8, the asymmetric offset rounded
// half to even from that scale, and then, under POWER_OF_2, the scale rounded up to
// a power of two.
#ifndef QBAKE_CORE_DYNAMIC_RANGE_H_
#define QBAKE_CORE_DYNAMIC_RANGE_H_

#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/quant_config.h"

namespace qbake {

struct ValueRange {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();

  void Add(float value) {
    min = std::min(min, value);
    max = std::max(max, value);
  }
  void Merge(const ValueRange& other) {
    min = std::min(min, other.min);
    max = std::max(max, other.max);
  }
};

struct SolvedScale {
  double scale = 1;
  double offset = 0;
};

SolvedScale SolveDynamicScale(const ValueRange& range, const TensorQuantConfig& config);

}  // namespace qbake

#endif  // QBAKE_CORE_DYNAMIC_RANGE_H_
