// Large blocks from operator new start on a page boundary in the binaries that link
// qbake_page_aligned_blocks (qbake): page_aligned_blocks.cc replaces the global
// operator new.
#ifndef QBAKE_COMMON_PAGE_ALIGNED_BLOCKS_H_
#define QBAKE_COMMON_PAGE_ALIGNED_BLOCKS_H_

#include <cstddef>

namespace qbake {

inline constexpr std::size_t kPageBytes = 4096;
// Blocks of this many bytes or more start on a page boundary.
inline constexpr std::size_t kPageAlignedBlockBytes = std::size_t{256} << 10;

}  // namespace qbake

#endif  // QBAKE_COMMON_PAGE_ALIGNED_BLOCKS_H_
