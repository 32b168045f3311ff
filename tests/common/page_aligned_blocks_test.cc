// This binary links qbake_page_aligned_blocks, as qbake does: large
// blocks from operator new, and so the storage of large strings and vectors, start
// on a page boundary. (Allocations that fail reach the new handler: FileSafetyTest
// runs qbake out of address space.)
#include "common/page_aligned_blocks.h"

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace qbake {
namespace {

uintptr_t PageOffset(const void* block) { return reinterpret_cast<uintptr_t>(block) % kPageBytes; }

TEST(PageAlignedBlocksTest, LargeBlocksStartOnAPage) {
  for (const size_t size : {kPageAlignedBlockBytes, kPageAlignedBlockBytes + 1, size_t{64} << 20}) {
    SCOPED_TRACE(size);
    const std::unique_ptr<char[]> block(new char[size]);
    EXPECT_EQ(PageOffset(block.get()), 0u);
    block[0] = 1;
    block[size - 1] = 2;  // the whole block is there (ASan would say otherwise)
    std::string bytes;
    bytes.reserve(size);
    EXPECT_EQ(PageOffset(bytes.data()), 0u);
    const std::vector<float> values(size / sizeof(float));
    EXPECT_EQ(PageOffset(values.data()), 0u);
    // The nothrow forms are replaced too (gRPC calls them), and pair with delete.
    char* quiet = new (std::nothrow) char[size];
    ASSERT_NE(quiet, nullptr);
    EXPECT_EQ(PageOffset(quiet), 0u);
    delete[] quiet;
    void* raw = ::operator new(size, std::nothrow);
    ASSERT_NE(raw, nullptr);
    EXPECT_EQ(PageOffset(raw), 0u);
    ::operator delete(raw, size);
  }
}

}  // namespace
}  // namespace qbake
