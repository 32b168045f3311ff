// FLOATING quantize-dequantize of BAKING.md 3.2: float32 to a low-precision float
// with E exponent and M mantissa bits (FP8 E4M3/E5M2, FP6, FP4, any ExMy), matching
// PPQ's CUDA kernel bit for bit, including how it rounds mantissa ties; on the code
// path that core/kernels/kernel_dispatch.h selects (every path gives the same bits).
#ifndef QBAKE_CORE_KERNELS_FLOATING_KERNEL_H_
#define QBAKE_CORE_KERNELS_FLOATING_KERNEL_H_

#include <cstdint>

#include "core/error_stats.h"
#include "core/floating_format.h"
#include "core/kernels/kernel_run.h"
#include "core/quant_config.h"

namespace qbake {

// Bakes run.values[run.begin, run.end) in place: y = (q(x / s) - o) * s. Adds the
// error to `errors`. run.integers is not used.
void FloatingBakeRun(const FloatingFormat& format, Rounding rounding, float scale, float offset,
                     const TensorRun& run, ErrorStats* errors);

}  // namespace qbake

#endif  // QBAKE_CORE_KERNELS_FLOATING_KERNEL_H_
