#include "common/pem_file.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/regular_file.h"

namespace qbake {

absl::StatusOr<std::string> ReadPemFile(const std::filesystem::path& path) {
  constexpr int64_t kMaxPemBytes = int64_t{16} << 20;
  absl::StatusOr<std::string> text = ReadRegularFile(path, kMaxPemBytes);
  if (text.ok() && text->empty()) {
    return absl::FailedPreconditionError(absl::StrCat("'", path.string(), "' is empty"));
  }
  return text;
}

}  // namespace qbake
