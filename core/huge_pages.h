// Large fresh buffers (a tensor's bytes) are filled faster on huge pages: one page
// fault per 2 MiB instead of per 4 KiB.
#ifndef QBAKE_CORE_HUGE_PAGES_H_
#define QBAKE_CORE_HUGE_PAGES_H_

#include <cstddef>
#include <string>

namespace qbake {

// Gives `bytes` a capacity of at least `size` and asks the kernel to back the
// 2 MiB-aligned part of the new buffer with transparent huge pages. Call it before
// the buffer's memory is first touched. Only advice: nothing changes where huge
// pages are off, and small sizes are left alone.
void ReserveOnHugePages(std::string* bytes, size_t size);

}  // namespace qbake

#endif  // QBAKE_CORE_HUGE_PAGES_H_
