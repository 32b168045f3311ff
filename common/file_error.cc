#include "common/file_error.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace qbake {

absl::Status FileError(absl::string_view action, const std::filesystem::path& path, int error) {
  const std::string message =
      absl::StrCat("cannot ", action, " '", path.string(), "': ", std::strerror(error));
  return error == ENOENT ? absl::NotFoundError(message) : absl::FailedPreconditionError(message);
}

}  // namespace qbake
