// The one form of a file error: "cannot ACTION 'PATH': REASON", NOT_FOUND when the
// file is missing (ENOENT), FAILED_PRECONDITION for every other reason of the system.
#ifndef QBAKE_COMMON_FILE_ERROR_H_
#define QBAKE_COMMON_FILE_ERROR_H_

#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace qbake {

// `error` is an errno value.
absl::Status FileError(absl::string_view action, const std::filesystem::path& path, int error);

}  // namespace qbake

#endif  // QBAKE_COMMON_FILE_ERROR_H_
