// The eight rounding functions R of BAKING.md 3.1, written once for any number type
// T: float reproduces PPQ's torch CPU path (its 0.5 steps are float32 additions, so
// a value one ulp below a half may round up); double is exact for any float32 input
// and reproduces PPQ's CUDA kernel. The kernels' vector types (core/kernels/kernel_isa_*.h)
// bring their own Nearbyint, Floor, Ceil, Abs, SignOf and RoundHalfAway, found by
// argument-dependent lookup, so every code path evaluates the same expression.
// Round returns an integer-valued number.
#ifndef QBAKE_CORE_ROUNDING_H_
#define QBAKE_CORE_ROUNDING_H_

#include <cmath>
#include <type_traits>

#include "core/quant_config.h"

namespace qbake {

// The primitives of R for float and double.
inline float Nearbyint(float v) { return std::nearbyint(v); }
inline double Nearbyint(double v) { return std::nearbyint(v); }
inline float Floor(float v) { return std::floor(v); }
inline double Floor(double v) { return std::floor(v); }
inline float Ceil(float v) { return std::ceil(v); }
inline double Ceil(double v) { return std::ceil(v); }
inline float Abs(float v) { return std::fabs(v); }
inline double Abs(double v) { return std::fabs(v); }
// Ties away from zero, exactly: C's round.
inline float RoundHalfAway(float v) { return std::round(v); }
inline double RoundHalfAway(double v) { return std::round(v); }
// torch.sign: 1, -1, or +0 for a zero.
inline float SignOf(float v) { return static_cast<float>((0.0f < v) - (v < 0.0f)); }
inline double SignOf(double v) { return static_cast<double>((0.0 < v) - (v < 0.0)); }

// R(v) with T's arithmetic.
template <Rounding kRounding, typename T>
inline T Round(T v) {
  const T half(0.5);
  switch (kRounding) {
    case Rounding::kHalfEven:
      return Nearbyint(v);
    case Rounding::kHalfUp:
      return Floor(v + half);
    case Rounding::kHalfDown:
      return Ceil(v - half);
    case Rounding::kHalfTowardsZero:
      return SignOf(v) * Ceil(Abs(v) - half);
    case Rounding::kHalfFarFromZero:
      return SignOf(v) * Floor(Abs(v) + half);
    case Rounding::kToNearInt:
      return RoundHalfAway(v);
    case Rounding::kUp:
      return Ceil(v);
    case Rounding::kDown:
      return Floor(v);
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
