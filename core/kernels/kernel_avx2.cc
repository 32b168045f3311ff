// The AVX2 path: core/kernels/kernel_body.h on 8 float32 lanes. core/CMakeLists.txt compiles
// this file alone with -mavx2 (no FMA); kernel_dispatch.cc calls it only where the
// CPU has AVX2.
#include "core/kernels/kernel_body.h"
#include "core/kernels/kernel_isa_x86.h"

namespace qbake {

const KernelTable kAvx2Kernels =
    simd::MakeKernelTable<simd::VectorIsa<simd::Avx2Tag>>(KernelPath::kAvx2);

}  // namespace qbake
