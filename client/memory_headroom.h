// Memory that runs out during a call must run out in qbake's own allocations: gRPC
// 1.51 does not survive an allocation of its own that fails (MemoryAllocator::
// MakeSlice writes through what malloc returned). Where qbake finds no room, it
// answers as operator new answers: by the new handler (the CLI's reports "out of
// memory" and exits cleanly), else by throwing std::bad_alloc.
#ifndef QBAKE_CLIENT_MEMORY_HEADROOM_H_
#define QBAKE_CLIENT_MEMORY_HEADROOM_H_

#include <cstddef>
#include <functional>
#include <thread>

namespace qbake {

// Room the transport may need while a reply arrives: a few messages of up to 4 MiB
// and the flow-control window.
inline constexpr size_t kTransportHeadroom = size_t{32} << 20;

// Allocates kTransportHeadroom and frees it: it is free now.
void CheckTransportHeadroom();

// A thread running `run`. One whose stack finds no room is memory running out.
std::thread StartThread(std::function<void()> run);

}  // namespace qbake

#endif  // QBAKE_CLIENT_MEMORY_HEADROOM_H_
