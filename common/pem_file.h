// TLS certificates and keys in PEM files, for the server's and the client's flags.
#ifndef QBAKE_COMMON_PEM_FILE_H_
#define QBAKE_COMMON_PEM_FILE_H_

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace qbake {

// The file's text, read as ReadRegularFile reads (a regular file, at most 16 MiB:
// far above any certificate bundle). FAILED_PRECONDITION for an empty file.
absl::StatusOr<std::string> ReadPemFile(const std::filesystem::path& path);

}  // namespace qbake

#endif  // QBAKE_COMMON_PEM_FILE_H_
