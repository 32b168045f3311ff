// How qbake-server and qbake set up glibc's allocator before their first thread
// starts.
//
// qbake-server pins it (PinAllocator), so its resident memory follows what it holds,
// not how its allocations happened to interleave. Left alone by default, glibc raises
// its mmap threshold each time a large block is freed (up to 32 MiB), after which
// model-sized blocks come from the heap and stay there once freed, and it gives each
// thread that allocates at once an arena of its own; a server that baked one large
// model then kept tens of MiB more than it holds, by an amount that depended on
// thread timing (docs/RELIABILITY.md, "Memory and the allocator"). Pinned, blocks of
// 128 KiB and more are mapped and returned to the system when freed, and at most two
// arenas exist.
//
// qbake keeps one arena (kClientArenas). Each further arena reserves 64 MiB of
// address space, several times what a remote bake holds; under an address-space limit
// (RLIMIT_AS) that reserve, not the bake, met the limit, inside gRPC 1.51, which does
// not survive an allocation of its own that fails (client/memory_headroom.h).
#ifndef QBAKE_COMMON_ALLOCATOR_SETTINGS_H_
#define QBAKE_COMMON_ALLOCATOR_SETTINGS_H_

namespace qbake {

// The fixed mmap threshold (bytes) and the arena count PinAllocator sets.
inline constexpr int kAllocatorMmapThreshold = 128 * 1024;
inline constexpr int kAllocatorArenas = 2;
// The arena count of the qbake command.
inline constexpr int kClientArenas = 1;

// Sets the mmap threshold and the arena count above, each unless the environment
// already sets it (MALLOC_MMAP_THRESHOLD_, MALLOC_ARENA_MAX: an operator's choice
// wins). Call first thing in main, before any thread starts. A no-op under an
// allocator other than glibc's (the sanitizers').
void PinAllocator();

// Sets the arena count to `arenas` unless MALLOC_ARENA_MAX does; as PinAllocator.
void LimitAllocatorArenas(int arenas);

}  // namespace qbake

#endif  // QBAKE_COMMON_ALLOCATOR_SETTINGS_H_
