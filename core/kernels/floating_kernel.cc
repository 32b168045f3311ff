#include "core/kernels/floating_kernel.h"

#include "core/kernels/kernel_dispatch.h"

namespace qbake {

void FloatingBakeRun(const FloatingFormat& format, Rounding rounding, float scale, float offset,
                     const TensorRun& run, ErrorStats* errors) {
  ActiveKernels().floating(format, rounding, scale, offset, run, errors);
}

}  // namespace qbake
