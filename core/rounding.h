// The eight rounding functions R of BAKING.md 3.1, in the two forms PPQ has:
// RoundFloat32 is PPQ's torch CPU path (its 0.5 steps are float32 additions, so a
// value one ulp below a half may round up); RoundExact is PPQ's CUDA kernel (the 0.5
// steps are exact, as double), used by the FLOATING path on values that are exact in
// double. Both return an integer-valued number.
#ifndef QBAKE_CORE_ROUNDING_H_
#define QBAKE_CORE_ROUNDING_H_

#include <cmath>

#include "core/quant_config.h"

namespace qbake {

template <typename T>
inline T SignOf(T v) {
  return static_cast<T>((T(0) < v) - (v < T(0)));
}

// R(v) with T's arithmetic: float reproduces the torch CPU path, double is exact for
// any float32 input (the CUDA path).
template <Rounding kRounding, typename T>
inline T Round(T v) {
  const T half = T(0.5);
  switch (kRounding) {
    case Rounding::kHalfEven:
      return std::nearbyint(v);
    case Rounding::kHalfUp:
      return std::floor(v + half);
    case Rounding::kHalfDown:
      return std::ceil(v - half);
    case Rounding::kHalfTowardsZero:
      return SignOf(v) * std::ceil(std::fabs(v) - half);
    case Rounding::kHalfFarFromZero:
      return SignOf(v) * std::floor(std::fabs(v) + half);
    case Rounding::kToNearInt:
      return std::round(v);
    case Rounding::kUp:
      return std::ceil(v);
    case Rounding::kDown:
      return std::floor(v);
  }
  return v;
}

// Calls fn(std::integral_constant<Rounding, r>{}) for the runtime rounding r, so
// kernels can hoist the rounding switch out of their loops.
template <typename Fn>
inline auto DispatchRounding(Rounding rounding, Fn&& fn) {
  switch (rounding) {
    case Rounding::kHalfUp:
      return fn(std::integral_constant<Rounding, Rounding::kHalfUp>{});
    case Rounding::kHalfDown:
      return fn(std::integral_constant<Rounding, Rounding::kHalfDown>{});
    case Rounding::kHalfTowardsZero:
      return fn(std::integral_constant<Rounding, Rounding::kHalfTowardsZero>{});
    case Rounding::kHalfFarFromZero:
      return fn(std::integral_constant<Rounding, Rounding::kHalfFarFromZero>{});
    case Rounding::kToNearInt:
      return fn(std::integral_constant<Rounding, Rounding::kToNearInt>{});
    case Rounding::kUp:
      return fn(std::integral_constant<Rounding, Rounding::kUp>{});
    case Rounding::kDown:
      return fn(std::integral_constant<Rounding, Rounding::kDown>{});
    case Rounding::kHalfEven:
      break;
  }
  return fn(std::integral_constant<Rounding, Rounding::kHalfEven>{});
}

}  // namespace qbake

#endif  // QBAKE_CORE_ROUNDING_H_
