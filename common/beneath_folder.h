// Files that sit beneath a folder, named by a relative location (as ONNX external
// data is: "weights.bin", "data/w.bin"). The location is checked lexically, then
// walked one folder at a time from the open folder, each step opened with
// O_NOFOLLOW: no symbolic link anywhere beneath the folder is followed, and nothing
// that changes a path while it is walked can lead the walk out. (The same guarantee
// openat2's RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS gives; the walk gives it on every
// kernel and container runtime, so it is the one way used.)
#ifndef QBAKE_COMMON_BENEATH_FOLDER_H_
#define QBAKE_COMMON_BENEATH_FOLDER_H_

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/unique_fd.h"

namespace qbake {

// Where a location leads: the open folder that holds its file, the file's name in
// it, and the path for messages (`folder`/location, normalized).
struct PlaceBeneath {
  UniqueFd folder;
  std::string name;
  std::filesystem::path path;
  std::vector<std::filesystem::path> created_folders;  // parents first
};

// The folder that holds `file`: its parent path, or "." for a bare file name.
std::filesystem::path FolderOf(const std::filesystem::path& file);

// Opens the folder `path` itself, following symbolic links in it (its caller named it).
absl::StatusOr<UniqueFd> OpenFolder(const std::filesystem::path& path);

// The place `location` names beneath `folder`. INVALID_ARGUMENT for an empty or
// absolute location, one that climbs out with "..", one that names no file, and
// one whose way passes a symbolic link; NOT_FOUND for a missing folder on the way,
// unless `create_missing` makes it (then it is listed in created_folders).
absl::StatusOr<PlaceBeneath> FindBeneath(const std::filesystem::path& folder,
                                         absl::string_view location, bool create_missing);

// The error for an open of `place` with O_NOFOLLOW that failed with `error`:
// INVALID_ARGUMENT naming a symbolic link for ELOOP, else the FileError.
absl::Status BeneathOpenError(absl::string_view action, const PlaceBeneath& place, int error);

}  // namespace qbake

#endif  // QBAKE_COMMON_BENEATH_FOLDER_H_
