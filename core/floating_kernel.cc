#include "core/floating_kernel.h"

#include <algorithm>
#include <cmath>

#include "core/float_bits.h"
#include "core/rounding.h"

namespace qbake {
namespace {

// The largest value of the format: unbiased exponent 2^(E-1), all M mantissa bits set.
float LargestValue(int exponent_bits, int mantissa_bits) {
  const double significand = 2.0 - std::ldexp(1.0, -mantissa_bits);
  return static_cast<float>(std::ldexp(significand, 1 << (exponent_bits - 1)));
}

}  // namespace

FloatingFormat::FloatingFormat(int exponent_bits, int mantissa_bits, double quant_min,
                               double quant_max)
    : quant_min_(static_cast<float>(quant_min)),
      quant_max_(static_cast<float>(quant_max)),
      min_normal_exponent_(-(1 << (exponent_bits - 1)) + 2),
      subnormal_step_(static_cast<float>(
          std::ldexp(1.0, -((1 << (exponent_bits - 1)) + mantissa_bits - 2)))),
      dropped_bits_(23 - mantissa_bits) {
  const float top = LargestValue(exponent_bits, mantissa_bits);
  hi_ = std::min(quant_max_, top);
  lo_ = std::max(quant_min_, -top);
}

template <Rounding kRounding>
float FloatingFormat::Quantize(float u) const {
  if (u > hi_) return hi_;
  if (u < lo_) return lo_;
  const uint32_t bits = FloatBits(u);
  const int exponent = static_cast<int>((bits >> 23) & 0xff) - 127;
  if (exponent < min_normal_exponent_) {
    // PPQ rounds to an int, so a negative value that rounds to zero gives +0.
    const auto steps = static_cast<int64_t>(Round<kRounding>(static_cast<double>(u / subnormal_step_)));
    return static_cast<float>(steps) * subnormal_step_;
  }
  const uint32_t dropped_mask = (uint32_t{1} << dropped_bits_) - 1;
  const double fraction = std::ldexp(static_cast<double>(bits & dropped_mask), -dropped_bits_);
  const auto carry = static_cast<uint32_t>(Round<kRounding>(fraction));
  const float q = FloatFromBits((bits & ~dropped_mask) + (carry << dropped_bits_));
  return std::min(std::max(q, quant_min_), quant_max_);
}

namespace {

template <Rounding kRounding>
ErrorStats BakeRun(const FloatingFormat& format, float scale, float offset, float* values,
                   size_t n) {
  ErrorStats stats;
  for (size_t i = 0; i < n; ++i) {
    const float x = values[i];
    const float y = (format.Quantize<kRounding>(x / scale) - offset) * scale;
    stats.Add(x, y);
    values[i] = y;
  }
  return stats;
}

}  // namespace

ErrorStats FloatingBakeRun(const FloatingFormat& format, Rounding rounding, float scale,
                           float offset, float* values, size_t n) {
  return DispatchRounding(rounding, [&](auto r) {
    return BakeRun<decltype(r)::value>(format, scale, offset, values, n);
  });
}

}  // namespace qbake
