// The code paths of the bake kernels (LINEAR, FLOATING, and DYNAMIC's range pass):
// portable (128-bit vectors of GCC's vector extensions, no intrinsics: SSE2 on x86-64,
// NEON on arm64), and on x86-64 AVX2 and AVX-512 (F, BW, DQ and VL). Each is
// compiled in its own translation unit from one source, core/kernels/kernel_body.h, and all
// give the same bits: values, integers, error statistics and ranges. So the choice
// changes speed only. The best path this CPU supports is chosen once, at the first
// kernel call, unless the environment variable QBAKE_KERNEL names another
// (portable, avx2 or avx512; "scalar", the portable path's former name, still names
// it; a path the CPU lacks, or an unknown name, is reported on stderr and the best
// path is used). Tests and benchmarks switch with SetKernelPath.
#ifndef QBAKE_CORE_KERNEL_PATH_H_
#define QBAKE_CORE_KERNEL_PATH_H_

#include <optional>
#include <vector>

#include "absl/strings/string_view.h"

namespace qbake {

enum class KernelPath { kPortable, kAvx2, kAvx512 };

absl::string_view KernelPathName(KernelPath path);  // "portable", "avx2", "avx512"
std::optional<KernelPath> KernelPathFromName(absl::string_view name);

// The paths this CPU can run, portable first.
std::vector<KernelPath> SupportedKernelPaths();

KernelPath ActiveKernelPath();

// Makes `path` the one every later kernel call takes; false, and no change, when
// this CPU cannot run it. Harmless while bakes run, as the paths agree bit for bit.
bool SetKernelPath(KernelPath path);

// Makes `path` active for its lifetime where the CPU has it (ok() tells), then
// restores the path before. For tests and benchmarks that compare paths.
class ScopedKernelPath {
 public:
  explicit ScopedKernelPath(KernelPath path)
      : previous_(ActiveKernelPath()), ok_(SetKernelPath(path)) {}
  ~ScopedKernelPath() { SetKernelPath(previous_); }
  ScopedKernelPath(const ScopedKernelPath&) = delete;
  ScopedKernelPath& operator=(const ScopedKernelPath&) = delete;

  bool ok() const { return ok_; }

 private:
  const KernelPath previous_;
  const bool ok_;
};

}  // namespace qbake

#endif  // QBAKE_CORE_KERNEL_PATH_H_
