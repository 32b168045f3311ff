// Running quantization error of a bake: max |baked - original| and the sum of
// squared differences, in double. Merging partial stats in a fixed order keeps the
// totals identical for any thread count.
#ifndef QBAKE_CORE_ERROR_STATS_H_
#define QBAKE_CORE_ERROR_STATS_H_

#include <algorithm>
#include <cmath>

namespace qbake {

struct ErrorStats {
  double max_abs = 0;
  double sum_squared = 0;

  void Add(float original, float baked) {
    const double diff = static_cast<double>(baked) - static_cast<double>(original);
    max_abs = std::max(max_abs, std::fabs(diff));
    sum_squared += diff * diff;
  }
  void Merge(const ErrorStats& other) {
    max_abs = std::max(max_abs, other.max_abs);
    sum_squared += other.sum_squared;
  }
};

}  // namespace qbake

#endif  // QBAKE_CORE_ERROR_STATS_H_
