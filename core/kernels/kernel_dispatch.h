// The dispatch behind core/kernel_path.h: each path's table of kernels, and the
// active one, which LinearBakeRun, FloatingBakeRun and ObserveRange call.
#ifndef QBAKE_CORE_KERNELS_KERNEL_DISPATCH_H_
#define QBAKE_CORE_KERNELS_KERNEL_DISPATCH_H_

#include <cstddef>

#include "core/dynamic_range.h"
#include "core/error_stats.h"
#include "core/kernel_path.h"
#include "core/kernels/floating_kernel.h"
#include "core/kernels/kernel_run.h"
#include "core/kernels/linear_kernel.h"

namespace qbake {

// The kernels of one path; see the public functions that call them
// (LinearBakeRun, FloatingBakeRun, ObserveRange) for their contracts.
struct KernelTable {
  KernelPath path;
  void (*linear)(const LinearParams& params, float scale, float offset, const TensorRun& run,
                 ErrorStats* errors);
  void (*floating)(const FloatingFormat& format, Rounding rounding, float scale, float offset,
                   const TensorRun& run, ErrorStats* errors);
  ValueRange (*range)(const float* values, size_t begin, size_t end);
};

const KernelTable& ActiveKernels();

// The table of any path, whether or not this CPU can run it. Only x86-64 builds have
// the AVX paths; elsewhere every path's table is the portable one.
const KernelTable& KernelTableOf(KernelPath path);

// One per path, each defined in core/kernels/kernel_<path>.cc (the AVX ones on x86-64).
extern const KernelTable kPortableKernels;
extern const KernelTable kAvx2Kernels;
extern const KernelTable kAvx512Kernels;

}  // namespace qbake

#endif  // QBAKE_CORE_KERNELS_KERNEL_DISPATCH_H_
