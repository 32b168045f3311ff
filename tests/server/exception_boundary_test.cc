// What CatchExceptions makes of what a callback or a pool task throws: an allocation
// that failed is RESOURCE_EXHAUSTED with reason OUT_OF_MEMORY (a retry elsewhere, or
// later, may fit), anything else INTERNAL naming it; a body that returns is untouched.
#include "server/exception_boundary.h"

#include <new>
#include <stdexcept>
#include <vector>

#include "core/error_detail.h"
#include "gtest/gtest.h"

namespace qbake {
namespace {

TEST(ExceptionBoundaryTest, AFailedAllocationIsOutOfMemory) {
  const absl::Status status = CatchExceptions([]() -> absl::Status { throw std::bad_alloc(); });
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(), "qbake-server ran out of memory for this call");
  EXPECT_EQ(ErrorReason(status), "OUT_OF_MEMORY");
}

TEST(ExceptionBoundaryTest, ASizeBeyondWhatAContainerHoldsIsOutOfMemoryNamingIt) {
  const absl::Status status = CatchExceptions([]() -> absl::Status {
    std::vector<int> values;
    values.reserve(values.max_size() + 1);
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message().rfind("qbake-server cannot hold what this call asks for (", 0), 0u)
      << status;
  EXPECT_EQ(ErrorReason(status), "OUT_OF_MEMORY");
}

TEST(ExceptionBoundaryTest, AnyOtherExceptionIsInternalNamingIt) {
  const absl::Status standard =
      CatchExceptions([]() -> absl::Status { throw std::runtime_error("a library's failure"); });
  EXPECT_EQ(standard.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(standard.message(), "qbake-server failed unexpectedly: a library's failure");
  EXPECT_EQ(ErrorReason(standard), "INTERNAL");

  const absl::Status other = CatchExceptions([]() -> absl::Status { throw 42; });
  EXPECT_EQ(other.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(other.message(), "qbake-server failed unexpectedly (a non-standard exception)");
}

TEST(ExceptionBoundaryTest, AReturnedStatusPassesUnchanged) {
  const absl::Status failed = absl::InvalidArgumentError("bad input");
  EXPECT_EQ(CatchExceptions([&] { return failed; }), failed);
  EXPECT_TRUE(CatchExceptions([] { return absl::OkStatus(); }).ok());
}

}  // namespace
}  // namespace qbake
