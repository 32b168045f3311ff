#include "core/dequantized_range.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/floating_format.h"

namespace qbake {
namespace {

// Enough digits for a float32 to round-trip.
std::string FloatText(float value) { return absl::StrFormat("%.9g", value); }

}  // namespace

QuantizedRange QuantizedRangeOf(const TensorQuantConfig& config) {
  if (!config.Has(kFloating)) {
    return {static_cast<float>(config.quant_min), static_cast<float>(config.quant_max)};
  }
  const FloatingFormat format(config.exponent_bits, config.mantissa_bits(), config.quant_min,
                              config.quant_max);
  return {std::min(format.lo, -format.min_normal), std::max(format.hi, format.min_normal)};
}

std::optional<DequantizeOverflow> FindDequantizeOverflow(const TensorQuantConfig& config) {
  const QuantizedRange range = QuantizedRangeOf(config);
  for (size_t i = 0; i < config.scale.size(); ++i) {
    const float offset = config.offset.empty() ? 0.0f : config.offset[i];
    for (const float q : {range.lo, range.hi}) {
      const float difference = q - offset;
      const float value = difference * config.scale[i];
      if (!std::isfinite(value)) return DequantizeOverflow{i, q, !std::isfinite(difference), value};
    }
  }
  return std::nullopt;
}

std::string DequantizeOverflowText(const TensorQuantConfig& config,
                                   const DequantizeOverflow& overflow) {
  const QuantizedRange range = QuantizedRangeOf(config);
  const float offset = config.offset.empty() ? 0.0f : config.offset[overflow.index];
  return absl::StrCat(
      "scale[", overflow.index, "] ", FloatText(config.scale[overflow.index]), " and zero_point[",
      overflow.index, "] ", FloatText(offset), " dequantize q = ", FloatText(overflow.q),
      ", an end of the quantized range [", FloatText(range.lo), ", ", FloatText(range.hi), "], to ",
      FloatText(overflow.value), " in float32 ((q - zero_point) * scale)");
}

}  // namespace qbake
