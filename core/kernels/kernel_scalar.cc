// The scalar path: core/kernels/kernel_body.h on plain float32, for any x86-64.
#include "core/kernels/kernel_body.h"
#include "core/kernels/kernel_isa_scalar.h"

namespace qbake {

const KernelTable kScalarKernels = simd::MakeKernelTable<simd::ScalarIsa>(KernelPath::kScalar);

}  // namespace qbake
