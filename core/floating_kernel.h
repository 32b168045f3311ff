// FLOATING quantize-dequantize of BAKING.md 3.2: float32 to a low-precision float
// with E exponent and M mantissa bits (FP8 E4M3/E5M2, FP6, FP4, any ExMy), matching
// PPQ's CUDA kernel bit for bit, including how it rounds mantissa ties.
#ifndef QBAKE_CORE_FLOATING_KERNEL_H_
#define QBAKE_CORE_FLOATING_KERNEL_H_

#include <cstddef>
#include <cstdint>

#include "core/error_stats.h"
#include "core/quant_config.h"

namespace qbake {

class FloatingFormat {
 public:
  // exponent_bits in 1..8, mantissa_bits in 0..23.
  FloatingFormat(int exponent_bits, int mantissa_bits, double quant_min, double quant_max);

  // The quantized value q of an unscaled input u (before dequantization).
  template <Rounding kRounding>
  float Quantize(float u) const;

 private:
  float hi_;                  // min(quant_max, the format's largest value)
  float lo_;                  // max(quant_min, -the format's largest value)
  float quant_min_;
  float quant_max_;
  int min_normal_exponent_;   // unbiased float32 exponents below it are subnormal
  float subnormal_step_;      // the format's smallest subnormal
  int dropped_bits_;          // 23 - M
};

// Bakes values[0, n) in place: y = (Quantize(x / s) - o) * s.
ErrorStats FloatingBakeRun(const FloatingFormat& format, Rounding rounding, float scale,
                           float offset, float* values, size_t n);

}  // namespace qbake

#endif  // QBAKE_CORE_FLOATING_KERNEL_H_
