// The constants of BAKING.md 3.2 for one low-precision float format (E exponent and M
// mantissa bits: FP8 E4M3/E5M2, FP6, FP4, any ExMy) and quant range, in the form the
// FLOATING kernels (core/kernels/floating_kernel.h) and the dequantized range check use.
#ifndef QBAKE_CORE_FLOATING_FORMAT_H_
#define QBAKE_CORE_FLOATING_FORMAT_H_

#include <cstdint>

namespace qbake {

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

}  // namespace qbake

#endif  // QBAKE_CORE_FLOATING_FORMAT_H_
