#include "core/kernels/kernel_dispatch.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace qbake {
namespace {

// The AVX paths exist on x86-64 only: core/CMakeLists.txt compiles them there.
bool CpuSupports(KernelPath path) {
  switch (path) {
    case KernelPath::kPortable:
      return true;
#if defined(__x86_64__)
    case KernelPath::kAvx2:
      return __builtin_cpu_supports("avx2");
    case KernelPath::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
    case KernelPath::kAvx2:
    case KernelPath::kAvx512:
      return false;
#endif
  }
  return false;
}

// QBAKE_KERNEL's path where the CPU has it, else the best path the CPU has.
const KernelTable* InitialTable() {
  const KernelPath best = SupportedKernelPaths().back();
  const char* requested = std::getenv("QBAKE_KERNEL");
  if (requested == nullptr || *requested == '\0') return &KernelTableOf(best);
  const std::optional<KernelPath> path = KernelPathFromName(requested);
  if (path && CpuSupports(*path)) return &KernelTableOf(*path);
  std::fprintf(stderr, "qbake: QBAKE_KERNEL=%s is %s; using %s\n", requested,
               path ? "not supported by this CPU" : "not portable, avx2 or avx512",
               std::string(KernelPathName(best)).c_str());
  return &KernelTableOf(best);
}

std::atomic<const KernelTable*>& Active() {
  static std::atomic<const KernelTable*> active{InitialTable()};
  return active;
}

}  // namespace

absl::string_view KernelPathName(KernelPath path) {
  switch (path) {
    case KernelPath::kAvx2:
      return "avx2";
    case KernelPath::kAvx512:
      return "avx512";
    case KernelPath::kPortable:
      break;
  }
  return "portable";
}

std::optional<KernelPath> KernelPathFromName(absl::string_view name) {
  if (name == "scalar") return KernelPath::kPortable;  // the portable path's former name
  for (KernelPath path : {KernelPath::kPortable, KernelPath::kAvx2, KernelPath::kAvx512}) {
    if (name == KernelPathName(path)) return path;
  }
  return std::nullopt;
}

std::vector<KernelPath> SupportedKernelPaths() {
  std::vector<KernelPath> paths;
  for (KernelPath path : {KernelPath::kPortable, KernelPath::kAvx2, KernelPath::kAvx512}) {
    if (CpuSupports(path)) paths.push_back(path);
  }
  return paths;
}

KernelPath ActiveKernelPath() { return ActiveKernels().path; }

bool SetKernelPath(KernelPath path) {
  if (!CpuSupports(path)) return false;
  Active().store(&KernelTableOf(path), std::memory_order_relaxed);
  return true;
}

const KernelTable& ActiveKernels() { return *Active().load(std::memory_order_relaxed); }

const KernelTable& KernelTableOf(KernelPath path) {
  switch (path) {
#if defined(__x86_64__)
    case KernelPath::kAvx2:
      return kAvx2Kernels;
    case KernelPath::kAvx512:
      return kAvx512Kernels;
#else
    case KernelPath::kAvx2:
    case KernelPath::kAvx512:
#endif
    case KernelPath::kPortable:
      break;
  }
  return kPortableKernels;
}

}  // namespace qbake
