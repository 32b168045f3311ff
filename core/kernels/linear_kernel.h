// LINEAR quantize-dequantize of BAKING.md 3.1, PPQ's torch CPU path, in float32:
//   v = x / s;  q = clamp(R(v) + o, quant_min, quant_max);  y = (q - o) * s
// over a run of values that share one scale and offset, on the code path that
// core/kernels/kernel_dispatch.h selects (every path gives the same bits).
#ifndef QBAKE_CORE_KERNELS_LINEAR_KERNEL_H_
#define QBAKE_CORE_KERNELS_LINEAR_KERNEL_H_

#include "core/error_stats.h"
#include "core/integer_type.h"
#include "core/kernels/kernel_run.h"
#include "core/quant_config.h"

namespace qbake {

struct LinearParams {
  Rounding rounding = Rounding::kHalfEven;
  float quant_min = -128;  // float(quant_min), as torch.clamp converts it
  float quant_max = 127;
  IntegerType integer_type = IntegerType::kInt8;
};

// Bakes run.values[run.begin, run.end) in place; where run.integers is not null it
// receives each clamped q in the integer representation. Adds the error to `errors`.
void LinearBakeRun(const LinearParams& params, float scale, float offset, const TensorRun& run,
                   ErrorStats* errors);

}  // namespace qbake

#endif  // QBAKE_CORE_KERNELS_LINEAR_KERNEL_H_
