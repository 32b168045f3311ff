#include "core/dynamic_range.h"

#include <cmath>

#include "core/kernels/kernel_dispatch.h"

namespace qbake {

ValueRange ObserveRange(const float* values, size_t begin, size_t end) {
  return ActiveKernels().range(values, begin, end);
}

SolvedScale SolveDynamicScale(const ValueRange& range, const TensorQuantConfig& config) {
  constexpr double kMinScale = 1e-8;
  const double lo = range.min;  // the range includes zero already
  const double hi = range.max;
  const double levels = config.quant_max - config.quant_min;
  SolvedScale solved;
  if (config.Has(kAsymmetrical)) {
    solved.scale = std::max((hi - lo) / levels, kMinScale);
    // PPQ rounds to a Python int, so an offset of -0 is +0.
    solved.offset = std::nearbyint(-lo / solved.scale) + 0.0;
  } else {
    solved.scale = std::max(2 * std::max(std::fabs(hi), std::fabs(lo)) / levels, kMinScale);
  }
  if (config.Has(kPowerOf2)) solved.scale = std::exp2(std::ceil(std::log2(solved.scale)));
  return solved;
}

}  // namespace qbake
