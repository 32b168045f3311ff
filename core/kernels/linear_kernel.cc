#include "core/kernels/linear_kernel.h"

#include "core/kernels/kernel_dispatch.h"

namespace qbake {

void LinearBakeRun(const LinearParams& params, float scale, float offset, const TensorRun& run,
                   ErrorStats* errors) {
  ActiveKernels().linear(params, scale, offset, run, errors);
}

}  // namespace qbake
