// The error a bake introduces: max |baked - original| and the sum of squared
// differences, both in double. The sum has one fixed order that every code path
// (scalar, AVX2, AVX-512) and every thread count follows, so its bits never depend
// on either: element i of a tensor adds to lane i % kErrorLanes; each lane sums its
// elements in index order (within a chunk, then chunk after chunk as Merge is called
// in chunk order); sum_squared() adds the lanes up in lane order. The max needs no
// order.
#ifndef QBAKE_CORE_ERROR_STATS_H_
#define QBAKE_CORE_ERROR_STATS_H_

#include <algorithm>
#include <cstddef>

namespace qbake {

// A multiple of every kernel's vector width (16 float32 lanes for AVX-512).
constexpr size_t kErrorLanes = 16;

struct ErrorStats {
  double max_abs = 0;
  // A plain array: the per-instruction-set kernels (core/kernels/kernel_body.h) must not
  // instantiate library templates that other translation units share.
  double lane_sum_squared[kErrorLanes] = {};

  // Adds `other`, the stats of later elements, lane by lane.
  void Merge(const ErrorStats& other) {
    max_abs = std::max(max_abs, other.max_abs);
    for (size_t lane = 0; lane < kErrorLanes; ++lane) {
      lane_sum_squared[lane] += other.lane_sum_squared[lane];
    }
  }

  double sum_squared() const {
    double sum = 0;
    for (double lane : lane_sum_squared) sum += lane;
    return sum;
  }
};

}  // namespace qbake

#endif  // QBAKE_CORE_ERROR_STATS_H_
