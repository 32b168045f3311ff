// The portable path: core/kernels/kernel_body.h on 4 float32 lanes of GCC's vector
// extensions, no intrinsics and no libm call per value (core/kernels/kernel_isa_vector.h's
// PortableTag). Compiled for the baseline of any target: SSE2 on x86-64, NEON on arm64.
#include "core/kernels/kernel_body.h"
#include "core/kernels/kernel_isa_vector.h"

namespace qbake {

const KernelTable kPortableKernels =
    simd::MakeKernelTable<simd::PortableIsa>(KernelPath::kPortable);

}  // namespace qbake
