#include "tests/support/scratch_folder.h"

#include <stdlib.h>

#include <algorithm>

#include "gtest/gtest.h"

namespace qbake::testing {

ScratchFolder::ScratchFolder() {
  std::string name = ::testing::TempDir() + "qbake_test_XXXXXX";
  EXPECT_NE(mkdtemp(name.data()), nullptr);
  path_ = name;
}

ScratchFolder::~ScratchFolder() { std::filesystem::remove_all(path_); }

std::vector<std::string> FolderNames(const std::filesystem::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace qbake::testing
