#include "common/allocator_settings.h"

#include <malloc.h>

#include <cstdlib>

namespace qbake {

void PinAllocator() {
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) {
    mallopt(M_MMAP_THRESHOLD, kAllocatorMmapThreshold);
  }
  LimitAllocatorArenas(kAllocatorArenas);
}

void LimitAllocatorArenas(int arenas) {
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, arenas);
}

}  // namespace qbake
