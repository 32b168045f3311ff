// A scratch folder for one test, removed with everything in it, and the names in a
// folder.
#ifndef QBAKE_TESTS_SUPPORT_SCRATCH_FOLDER_H_
#define QBAKE_TESTS_SUPPORT_SCRATCH_FOLDER_H_

#include <filesystem>
#include <string>
#include <vector>

namespace qbake::testing {

// A fresh folder under the test temp dir, removed with everything in it.
class ScratchFolder {
 public:
  ScratchFolder();
  ~ScratchFolder();
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // path() / relative, as a string for command lines.
  std::string operator/(const std::string& relative) const { return (path_ / relative).string(); }

 private:
  std::filesystem::path path_;
};

// The names in `folder`, hidden ones included, sorted.
std::vector<std::string> FolderNames(const std::filesystem::path& folder);

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_SCRATCH_FOLDER_H_
