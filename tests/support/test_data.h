// Helpers shared by the tests: where the bundled data lives, reading and writing
// files, and float32 bit patterns.
#ifndef QBAKE_TESTS_SUPPORT_TEST_DATA_H_
#define QBAKE_TESTS_SUPPORT_TEST_DATA_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/float_bits.h"

namespace qbake::testing {

// QBAKE_TEST_DATA_DIR + "/" + relative.
std::string TestDataPath(absl::string_view relative);
// The whole file; fails the calling test (and returns "") when unreadable.
std::string ReadFileOrDie(const std::string& path);
// Writes `bytes` as the whole file; fails the calling test when it cannot.
void WriteFileOrDie(const std::filesystem::path& path, absl::string_view bytes);
// The names of the directories under tests/data/ppq_e2e, sorted.
std::vector<std::string> E2eCaseNames();

using ::qbake::FloatBits;
using ::qbake::FloatFromBits;
// "3f800000" -> 1.0f
float FloatFromHex(const std::string& hex);

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_TEST_DATA_H_
