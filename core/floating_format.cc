#include "core/floating_format.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "core/rounding.h"

namespace qbake {
namespace {

// The largest value of the format: unbiased exponent 2^(E-1), all M mantissa bits set.
float LargestValue(int exponent_bits, int mantissa_bits) {
  const double significand = 2.0 - std::ldexp(1.0, -mantissa_bits);
  return static_cast<float>(std::ldexp(significand, 1 << (exponent_bits - 1)));
}

// Rx of the fraction that `dropped`, the low `dropped_bits` bits, stand for: 3.2's
// carry, evaluated exactly in double as PPQ's kernel does.
bool Carries(Rounding rounding, uint32_t dropped, int dropped_bits) {
  const double fraction = std::ldexp(static_cast<double>(dropped), -dropped_bits);
  return DispatchRounding(rounding,
                          [&](auto r) { return Round<decltype(r)::value>(fraction) >= 1.0; });
}

// The least `dropped` that carries, by bisection (Rx(1) = 1 for every rounding).
uint32_t CarryThreshold(Rounding rounding, int dropped_bits) {
  uint32_t low = 0;
  uint32_t high = uint32_t{1} << dropped_bits;
  while (low < high) {
    const uint32_t middle = low + (high - low) / 2;
    if (Carries(rounding, middle, dropped_bits)) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return low;
}

}  // namespace

FloatingFormat::FloatingFormat(int exponent_bits, int mantissa_bits, double quant_min,
                               double quant_max)
    : quant_min(static_cast<float>(quant_min)),
      quant_max(static_cast<float>(quant_max)),
      min_normal(std::ldexp(1.0f, -(1 << (exponent_bits - 1)) + 2)),
      subnormal_step(
          static_cast<float>(std::ldexp(1.0, -((1 << (exponent_bits - 1)) + mantissa_bits - 2)))),
      dropped_mask((uint32_t{1} << (23 - mantissa_bits)) - 1) {
  const float top = LargestValue(exponent_bits, mantissa_bits);
  hi = std::min(this->quant_max, top);
  lo = std::max(this->quant_min, -top);
  for (size_t r = 0; r < std::size(carry_threshold); ++r) {
    carry_threshold[r] = CarryThreshold(static_cast<Rounding>(r), 23 - mantissa_bits);
  }
}

}  // namespace qbake
