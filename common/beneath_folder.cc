#include "common/beneath_folder.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/file_error.h"

namespace qbake {
namespace {

namespace fs = std::filesystem;

absl::Status OutsideError(absl::string_view location, const fs::path& folder,
                          absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "location '", location, "' is outside the folder '", folder.string(), "' (", why, ")"));
}

absl::Status SymlinkError(const fs::path& path) {
  return absl::InvalidArgumentError(
      absl::StrCat("'", path.string(),
                   "' is a symbolic link; files beneath a model's folder are read and written "
                   "without following symbolic links"));
}

// The location's names, lexically normalized.
absl::StatusOr<std::vector<std::string>> LocationNames(const fs::path& folder,
                                                       absl::string_view location) {
  const fs::path relative{std::string(location)};
  if (relative.empty()) return absl::InvalidArgumentError("empty location");
  if (relative.has_root_path()) return OutsideError(location, folder, "an absolute path");
  const fs::path normal = relative.lexically_normal();
  if (*normal.begin() == "..") return OutsideError(location, folder, "it climbs out with '..'");
  if (!normal.has_filename() || normal == ".") {
    return absl::InvalidArgumentError(absl::StrCat("location '", location, "' names no file"));
  }
  std::vector<std::string> names;
  for (const fs::path& name : normal) names.push_back(name.string());
  return names;
}

// The folder `name` in the open folder `parent`, made first when missing and allowed.
absl::StatusOr<UniqueFd> StepInto(const UniqueFd& parent, const std::string& name,
                                  const fs::path& path, bool create_missing, bool* created) {
  constexpr int kFlags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  *created = false;
  UniqueFd folder(openat(parent.get(), name.c_str(), kFlags));
  if (!folder.valid() && errno == ENOENT && create_missing) {
    if (mkdirat(parent.get(), name.c_str(), 0777) == 0) {
      *created = true;
    } else if (errno != EEXIST) {
      return FileError("create folder", path, errno);
    }
    folder = UniqueFd(openat(parent.get(), name.c_str(), kFlags));
  }
  if (folder.valid()) return folder;
  const int error = errno;
  struct stat info;
  if (error == ELOOP ||
      (error == ENOTDIR && fstatat(parent.get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 &&
       S_ISLNK(info.st_mode))) {
    return SymlinkError(path);
  }
  return FileError("open folder", path, error);
}

}  // namespace

fs::path FolderOf(const fs::path& file) {
  return file.has_parent_path() ? file.parent_path() : fs::path(".");
}

absl::StatusOr<UniqueFd> OpenFolder(const fs::path& path) {
  UniqueFd folder(open(path.empty() ? "." : path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!folder.valid()) return FileError("open folder", path, errno);
  return folder;
}

absl::StatusOr<PlaceBeneath> FindBeneath(const fs::path& folder, absl::string_view location,
                                         bool create_missing) {
  absl::StatusOr<std::vector<std::string>> names = LocationNames(folder, location);
  if (!names.ok()) return names.status();
  absl::StatusOr<UniqueFd> current = OpenFolder(folder);
  if (!current.ok()) return current.status();
  PlaceBeneath place;
  place.path = folder;
  for (size_t i = 0; i + 1 < names->size(); ++i) {
    place.path /= (*names)[i];
    bool created = false;
    absl::StatusOr<UniqueFd> next =
        StepInto(*current, (*names)[i], place.path, create_missing, &created);
    if (!next.ok()) return next.status();
    if (created) place.created_folders.push_back(place.path);
    current = std::move(next);
  }
  place.folder = *std::move(current);
  place.name = names->back();
  place.path /= place.name;
  return place;
}

absl::Status BeneathOpenError(absl::string_view action, const PlaceBeneath& place, int error) {
  // With O_NOFOLLOW and a single name, ELOOP says that name was a symbolic link.
  if (error == ELOOP) return SymlinkError(place.path);
  return FileError(action, place.path, error);
}

}  // namespace qbake
