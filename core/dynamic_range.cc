#include "core/dynamic_range.h"

#include <cmath>

namespace qbake {

SolvedScale SolveDynamicScale(const ValueRange& range, const TensorQuantConfig& config) {
  constexpr double kMinScale = 1e-8;
  const double lo = std::min(static_cast<double>(range.min), 0.0);
  const double hi = std::max(static_cast<double>(range.max), 0.0);
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
