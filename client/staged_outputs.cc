#include "client/staged_outputs.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "client/file_io.h"

namespace qbake {
namespace {

namespace fs = std::filesystem;

mode_t NewFileMode() {
  const mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

absl::StatusOr<fs::path> CreateTemporaryBeside(const fs::path& destination) {
  std::string name =
      (FolderOf(destination) / absl::StrCat(".", destination.filename().string(), ".qbake-XXXXXX"))
          .string();
  const int fd = mkstemp(name.data());
  if (fd < 0) return FileError("create a temporary file for", destination, errno);
  close(fd);
  return fs::path(name);
}

}  // namespace

StagedOutputs::~StagedOutputs() {
  std::error_code ignored;
  for (const Entry& entry : entries_) {
    if (!entry.temporary.empty()) fs::remove(entry.temporary, ignored);
  }
  for (auto folder = created_folders_.rbegin(); folder != created_folders_.rend(); ++folder) {
    fs::remove(*folder, ignored);
  }
}

absl::Status StagedOutputs::CreateMissingFolders(const fs::path& folder) {
  std::error_code error;
  if (fs::exists(folder, error)) return absl::OkStatus();
  if (folder.has_parent_path() && folder.parent_path() != folder) {
    absl::Status parent = CreateMissingFolders(folder.parent_path());
    if (!parent.ok()) return parent;
  }
  const bool created = fs::create_directory(folder, error);
  if (error) return FileError("create folder", folder, error.value());
  if (created) created_folders_.push_back(folder);
  return absl::OkStatus();
}

absl::StatusOr<fs::path> StagedOutputs::Stage(const fs::path& destination) {
  std::error_code error;
  if (fs::is_directory(destination, error)) return FileError("write", destination, EISDIR);
  absl::Status folders = CreateMissingFolders(FolderOf(destination));
  if (!folders.ok()) return folders;
  const fs::path identity = fs::weakly_canonical(fs::absolute(destination), error);
  if (error) return FileError("resolve", destination, error.value());
  for (const Entry& entry : entries_) {
    if (entry.identity == identity) {
      return absl::InvalidArgumentError(
          absl::StrCat("two outputs would be written to '", destination.string(), "'"));
    }
  }
  absl::StatusOr<fs::path> temporary = CreateTemporaryBeside(destination);
  if (!temporary.ok()) return temporary.status();
  entries_.push_back({destination, identity, *temporary});
  return *temporary;
}

absl::Status StagedOutputs::StageBytes(const fs::path& destination, absl::string_view bytes) {
  absl::StatusOr<fs::path> temporary = Stage(destination);
  if (!temporary.ok()) return temporary.status();
  std::ofstream out(*temporary, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return FileError("write", *temporary, errno);
  return absl::OkStatus();
}

absl::Status StagedOutputs::Commit() {
  const mode_t mode = NewFileMode();
  for (Entry& entry : entries_) {
    if (chmod(entry.temporary.c_str(), mode) != 0) {
      return FileError("set permissions of", entry.temporary, errno);
    }
    if (std::rename(entry.temporary.c_str(), entry.destination.c_str()) != 0) {
      return FileError("move into place", entry.destination, errno);
    }
    entry.temporary.clear();
  }
  created_folders_.clear();
  return absl::OkStatus();
}

}  // namespace qbake
