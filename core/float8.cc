#include "core/float8.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace qbake {
namespace {

struct FormatLayout {
  int exponent_bits;
  int mantissa_bits;
  int bias;
  uint8_t largest_finite;  // the byte of the largest finite positive value
};

FormatLayout Layout(Float8Format format) {
  return format == Float8Format::kE4M3FN ? FormatLayout{4, 3, 7, 0x7E}
                                         : FormatLayout{5, 2, 15, 0x7B};
}

// The finite non-negative values, by byte 0 .. largest_finite: ascending.
using PositiveValues = std::array<float, 128>;

const PositiveValues& Positives(Float8Format format) {
  static const auto build = [](Float8Format f) {
    PositiveValues values{};
    for (int byte = 0; byte <= Layout(f).largest_finite; ++byte) {
      values[byte] = DecodeFloat8(static_cast<uint8_t>(byte), f);
    }
    return values;
  };
  static const PositiveValues e4m3 = build(Float8Format::kE4M3FN);
  static const PositiveValues e5m2 = build(Float8Format::kE5M2);
  return format == Float8Format::kE4M3FN ? e4m3 : e5m2;
}

}  // namespace

int32_t Float8DataType(Float8Format format) { return format == Float8Format::kE4M3FN ? 17 : 19; }

const char* Float8Name(Float8Format format) {
  return format == Float8Format::kE4M3FN ? "FLOAT8E4M3FN" : "FLOAT8E5M2";
}

float DecodeFloat8(uint8_t byte, Float8Format format) {
  const FormatLayout layout = Layout(format);
  const bool negative = (byte & 0x80) != 0;
  const int exponent = (byte >> layout.mantissa_bits) & ((1 << layout.exponent_bits) - 1);
  const int mantissa = byte & ((1 << layout.mantissa_bits) - 1);
  const int all_ones = (1 << layout.exponent_bits) - 1;
  float magnitude;
  if (format == Float8Format::kE4M3FN && exponent == all_ones && mantissa == 7) {
    magnitude = std::numeric_limits<float>::quiet_NaN();
  } else if (format == Float8Format::kE5M2 && exponent == all_ones) {
    magnitude = mantissa == 0 ? std::numeric_limits<float>::infinity()
                              : std::numeric_limits<float>::quiet_NaN();
  } else if (exponent == 0) {  // subnormal: mantissa * 2^(1 - bias - M)
    magnitude = std::ldexp(static_cast<float>(mantissa), 1 - layout.bias - layout.mantissa_bits);
  } else {
    magnitude = std::ldexp(static_cast<float>((1 << layout.mantissa_bits) + mantissa),
                           exponent - layout.bias - layout.mantissa_bits);
  }
  return negative ? -magnitude : magnitude;
}

std::optional<Float8Neighbours> NearestFloat8(float value, Float8Format format) {
  const PositiveValues& positives = Positives(format);
  const int count = Layout(format).largest_finite + 1;
  const float magnitude = std::fabs(value);
  if (!(magnitude <= positives[count - 1])) return std::nullopt;  // NaN or too large
  const float* end = positives.data() + count;
  const int above =
      static_cast<int>(std::lower_bound(positives.data(), end, magnitude) - positives.data());
  const int below = positives[above] == magnitude ? above : above - 1;
  const uint8_t sign = std::signbit(value) ? 0x80 : 0x00;
  return Float8Neighbours{static_cast<uint8_t>(sign | below), static_cast<uint8_t>(sign | above)};
}

std::optional<uint8_t> EncodeFloat8Exactly(float value, Float8Format format) {
  const std::optional<Float8Neighbours> near = NearestFloat8(value, format);
  if (!near || near->below != near->above) return std::nullopt;
  return near->below;
}

}  // namespace qbake
