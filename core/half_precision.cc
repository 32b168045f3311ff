#include "core/half_precision.h"

#include <cmath>

#include "core/float_bits.h"

namespace qbake {
namespace {

constexpr uint32_t kFloatInfinity = 0x7f800000;
constexpr uint32_t kHalfOverflow = 0x477ff000;   // 65520: rounds to half infinity
constexpr uint32_t kHalfMinNormal = 0x38800000;  // 2^-14

}  // namespace

float HalfToFloat(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000) << 16;
  const uint32_t exponent = (half >> 10) & 0x1f;
  const uint32_t mantissa = half & 0x3ff;
  if (exponent == 0x1f) return FloatFromBits(sign | kFloatInfinity | (mantissa << 13));
  if (exponent != 0) return FloatFromBits(sign | ((exponent + 112) << 23) | (mantissa << 13));
  const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  return sign ? -magnitude : magnitude;
}

uint16_t FloatToHalf(float value) {
  const uint32_t bits = FloatBits(value);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t magnitude = bits & 0x7fffffff;
  if (magnitude > kFloatInfinity) return sign | 0x7e00;  // NaN
  if (magnitude >= kHalfOverflow) return sign | 0x7c00;  // infinity
  if (magnitude < kHalfMinNormal) {
    // Subnormal half: units of 2^-24; the scaling is exact, nearbyint ties to even.
    const float units = std::nearbyint(std::ldexp(FloatFromBits(magnitude), 24));
    return sign | static_cast<uint16_t>(units);
  }
  uint32_t half = ((magnitude >> 23) - 112) << 10 | ((magnitude >> 13) & 0x3ff);
  const uint32_t rest = magnitude & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;  // carries into exponent
  return sign | static_cast<uint16_t>(half);
}

float BFloat16ToFloat(uint16_t bfloat) {
  return FloatFromBits(static_cast<uint32_t>(bfloat) << 16);
}

uint16_t FloatToBFloat16(float value) {
  const uint32_t bits = FloatBits(value);
  if ((bits & 0x7fffffff) > kFloatInfinity) return static_cast<uint16_t>((bits >> 16) | 0x40);
  const uint32_t rounded = bits + 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>(rounded >> 16);
}

}  // namespace qbake
