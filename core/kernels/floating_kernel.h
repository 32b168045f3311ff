// FLOATING quantize-dequantize of BAKING.md 3.2: float32 to a low-precision float
// with E exponent and M mantissa bits (FP8 E4M3/E5M2, FP6, FP4, any ExMy), matching
// PPQ's CUDA kernel bit for bit, including how it rounds mantissa ties; on the code
// path that core/kernels/kernel_dispatch.h selects (every path gives the same bits).
#ifndef QBAKE_CORE_KERNELS_FLOATING_KERNEL_H_
#define QBAKE_CORE_KERNELS_FLOATING_KERNEL_H_

#include <cstdint>

#include "core/error_stats.h"
#include "core/kernels/kernel_run.h"
#include "core/quant_config.h"

namespace qbake {

// The constants of 3.2 for one format and quant range, in the form the kernels use.
struct FloatingFormat {
  // exponent_bits in 1..8, mantissa_bits in 0..23.
  FloatingFormat(int exponent_bits, int mantissa_bits, double quant_min, double quant_max);

  float hi;  // min(quant_max, the format's largest value)
  float lo;  // max(quant_min, -the format's largest value)
  float quant_min;
  float quant_max;
  // 2^(the format's smallest normal exponent): |u| < min_normal exactly when u's
  // unbiased float32 exponent is below that exponent (the spec's subnormal test).
  float min_normal;
  float subnormal_step;   // the format's smallest subnormal
  uint32_t dropped_mask;  // the 23 - M low mantissa bits of a float32
  // Per Rounding: Rx(f), for f the dropped bits read as a fraction in [0, 1), is 0 or
  // 1 and grows with f, so it is 1 exactly when the bits, as an integer, reach this
  // threshold (which is dropped_mask + 1 where Rx never carries). A plain array, as
  // ErrorStats::lane_sum_squared.
  uint32_t carry_threshold[8];
};

// Bakes run.values[run.begin, run.end) in place: y = (q(x / s) - o) * s. Adds the
// error to `errors`. run.integers is not used.
void FloatingBakeRun(const FloatingFormat& format, Rounding rounding, float scale, float offset,
                     const TensorRun& run, ErrorStats* errors);

}  // namespace qbake

#endif  // QBAKE_CORE_KERNELS_FLOATING_KERNEL_H_
