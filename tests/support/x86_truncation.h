// BAKING.md 3.1's conversion of q to int32, as PPQ's torch CPU path does it on x86
// (cvttss2si): truncated, and INT32_MIN outside the int32 range. A plain
// static_cast is undefined there, and arm64 saturates instead; tests that predict the
// kernel's integers use this on every CPU.
#ifndef QBAKE_TESTS_SUPPORT_X86_TRUNCATION_H_
#define QBAKE_TESTS_SUPPORT_X86_TRUNCATION_H_

#include <cstdint>
#include <limits>

namespace qbake::testing {

inline int32_t X86TruncateToInt32(float q) {
  const bool in_range = q >= -2147483648.0f && q < 2147483648.0f;
  return in_range ? static_cast<int32_t>(q) : std::numeric_limits<int32_t>::min();
}

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_X86_TRUNCATION_H_
