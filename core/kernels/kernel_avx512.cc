// The AVX-512 path: core/kernels/kernel_body.h on 16 float32 lanes. core/CMakeLists.txt
// compiles this file alone with -mavx512f -mavx512bw -mavx512dq -mavx512vl (no FMA);
// kernel_dispatch.cc calls it only where the CPU has all four.
#include "core/kernels/kernel_body.h"
#include "core/kernels/kernel_isa_x86.h"

namespace qbake {

const KernelTable kAvx512Kernels =
    simd::MakeKernelTable<simd::VectorIsa<simd::Avx512Tag>>(KernelPath::kAvx512);

}  // namespace qbake
