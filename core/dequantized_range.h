// Whether a config's baked values stay finite float32. A LINEAR or FLOATING bake
// (BAKING.md 3.1, 3.2) gives y = (q - o) * s in float32, with q inside the config's
// quantized range; for s > 0 both steps are monotonic in q, so every y is finite
// exactly when the y of both ends of the range is. PPQ computes in float32 as well:
// where an end overflows, it would write an infinity or a NaN into the model.
#ifndef QBAKE_CORE_DEQUANTIZED_RANGE_H_
#define QBAKE_CORE_DEQUANTIZED_RANGE_H_

#include <cstddef>
#include <optional>
#include <string>

#include "core/quant_config.h"

namespace qbake {

// The range q lies in: [float(quant_min), float(quant_max)] for LINEAR; for FLOATING
// the format's clamp [lo, hi] (core/kernels/floating_kernel.h), widened to its subnormal
// results, which reach the format's smallest normal value.
struct QuantizedRange {
  float lo = 0;
  float hi = 0;
};
QuantizedRange QuantizedRangeOf(const TensorQuantConfig& config);

// An end of the quantized range that one scale and offset dequantize beyond float32.
struct DequantizeOverflow {
  size_t index = 0;        // of the scale and offset
  float q = 0;             // the end of the range
  bool in_offset = false;  // q - o overflows already, before the product by s
  float value = 0;         // (q - o) * s in float32: infinite or NaN
};

// The first overflow, by index and then lower end first; nullopt when every value
// the config can bake is finite. The config's scale and offset (stated, derived or
// solved; none for an unsolved DYNAMIC config) must be index-aligned, its quant_min,
// quant_max and FLOATING format valid (ConfigResolver checks them).
std::optional<DequantizeOverflow> FindDequantizeOverflow(const TensorQuantConfig& config);

// "scale[1] 2 and zero_point[1] 3e+38 dequantize q = 0, an end of the quantized
// range [0, 1e+38], to -inf in float32 ((q - zero_point) * scale)".
std::string DequantizeOverflowText(const TensorQuantConfig& config,
                                   const DequantizeOverflow& overflow);

}  // namespace qbake

#endif  // QBAKE_CORE_DEQUANTIZED_RANGE_H_
