// Errors that name a file and the system's reason, folders of files, whole-file and
// byte-range reads, and the one rule for data files that sit beside a model: they
// must stay inside the model's folder.
#ifndef QBAKE_CLIENT_FILE_IO_H_
#define QBAKE_CLIENT_FILE_IO_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qbake {

// "cannot ACTION 'PATH': REASON" for the errno value `error`; NOT_FOUND for ENOENT,
// FAILED_PRECONDITION otherwise.
absl::Status FileError(absl::string_view action, const std::filesystem::path& path, int error);

// The folder that holds `file`: its parent path, or "." for a bare file name.
std::filesystem::path FolderOf(const std::filesystem::path& file);

// The whole file. Errors name `path` and the system's reason (NOT_FOUND when missing).
absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path);

// `length` bytes from `offset`, or everything from `offset` when `length` is absent;
// OUT_OF_RANGE when the range runs past the end of the file.
absl::StatusOr<std::string> ReadFileRange(const std::filesystem::path& path, int64_t offset,
                                          std::optional<int64_t> length);

// The file `location` names relative to `folder`, lexically normalized. Refuses
// (INVALID_ARGUMENT) an empty or absolute location, one that climbs out with `..`,
// and one that resolves through a symlink to a place outside `folder`.
absl::StatusOr<std::filesystem::path> ResolveInsideFolder(const std::filesystem::path& folder,
                                                          absl::string_view location);

}  // namespace qbake

#endif  // QBAKE_CLIENT_FILE_IO_H_
