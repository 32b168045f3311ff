#include "core/huge_pages.h"

#include <sys/mman.h>

#include <cstdint>

namespace qbake {

constexpr uintptr_t kHugePage = uintptr_t{2} << 20;

void ReserveOnHugePages(std::string* bytes, size_t size) {
  bytes->reserve(size);
  if (size < 2 * kHugePage) return;
  const auto begin = reinterpret_cast<uintptr_t>(bytes->data());
  const uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t last = (begin + size) & ~(kHugePage - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

}  // namespace qbake
