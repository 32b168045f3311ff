#include "core/linear_kernel.h"

#include "core/kernel_dispatch.h"

namespace qbake {

IntegerType IntegerTypeOf(const TensorQuantConfig& config) {
  if (config.num_of_bits > 8) return IntegerType::kInt32;
  return config.Has(kAsymmetrical) ? IntegerType::kUInt8 : IntegerType::kInt8;
}

void LinearBakeRun(const LinearParams& params, float scale, float offset, const TensorRun& run,
                   ErrorStats* errors) {
  ActiveKernels().linear(params, scale, offset, run, errors);
}

}  // namespace qbake
