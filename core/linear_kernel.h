// LINEAR quantize-dequantize of BAKING.md 3.1, PPQ's torch CPU path, in float32:
//   v = x / s;  q = clamp(R(v) + o, quant_min, quant_max);  y = (q - o) * s
// over a run of values that share one scale and offset, on the code path that
// core/kernel_dispatch.h selects (every path gives the same bits).
#ifndef QBAKE_CORE_LINEAR_KERNEL_H_
#define QBAKE_CORE_LINEAR_KERNEL_H_

#include "core/error_stats.h"
#include "core/kernel_run.h"
#include "core/quant_config.h"

namespace qbake {

// The integer representation of a LINEAR bake (BAKING.md 3.1): int8 for up to 8 bits
// under SYMMETRICAL, uint8 for up to 8 bits under ASYMMETRICAL, int32 above. q is
// converted as PPQ's torch CPU path converts it on x86: truncated to int32, a value
// outside the int32 range becoming INT32_MIN, then wrapped to 8 bits where the type
// is 8 bits wide (so an ASYMMETRICAL q of -24 is the uint8 232).
enum class IntegerType { kInt8, kUInt8, kInt32 };
IntegerType IntegerTypeOf(const TensorQuantConfig& config);

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

#endif  // QBAKE_CORE_LINEAR_KERNEL_H_
