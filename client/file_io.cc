#include "client/file_io.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/huge_pages.h"

namespace qbake {
namespace {

namespace fs = std::filesystem;

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

struct OpenedFile {
  FilePtr file;
  int64_t size = 0;
};

absl::StatusOr<OpenedFile> OpenForRead(const fs::path& path) {
  OpenedFile opened{FilePtr(std::fopen(path.c_str(), "rb"))};
  if (!opened.file) return FileError("open", path, errno);
  struct stat info;
  if (fstat(fileno(opened.file.get()), &info) != 0) return FileError("stat", path, errno);
  if (S_ISDIR(info.st_mode)) return FileError("read", path, EISDIR);
  opened.size = info.st_size;
  return opened;
}

absl::StatusOr<std::string> ReadWithStdio(const OpenedFile& opened, const fs::path& path,
                                          int64_t offset, int64_t length) {
  std::string bytes(static_cast<size_t>(length), '\0');
  if (fseeko(opened.file.get(), offset, SEEK_SET) != 0) return FileError("seek in", path, errno);
  if (std::fread(bytes.data(), 1, bytes.size(), opened.file.get()) != bytes.size()) {
    return FileError("read", path, std::ferror(opened.file.get()) ? errno : EIO);
  }
  return bytes;
}

// The bytes copied once from a read-only mapping of the file (no zero-filled buffer
// to read into); from stdio where the file cannot be mapped.
absl::StatusOr<std::string> ReadAt(const OpenedFile& opened, const fs::path& path, int64_t offset,
                                   int64_t length) {
  if (length == 0) return std::string();
  const int64_t page = sysconf(_SC_PAGESIZE);
  const int64_t start = offset / page * page;
  const size_t mapped = static_cast<size_t>(length + (offset - start));
  const int fd = fileno(opened.file.get());
  void* map = mmap(nullptr, mapped, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, start);
  if (map == MAP_FAILED) return ReadWithStdio(opened, path, offset, length);
  madvise(map, mapped, MADV_SEQUENTIAL);
  std::string bytes;
  ReserveOnHugePages(&bytes, static_cast<size_t>(length));
  bytes.append(static_cast<const char*>(map) + (offset - start), static_cast<size_t>(length));
  munmap(map, mapped);
  return bytes;
}

absl::Status RangeError(const fs::path& path, int64_t offset, int64_t length, int64_t size) {
  return absl::OutOfRangeError(absl::StrCat("offset ", offset, " + length ", length,
                                            " runs past the end of '", path.string(), "' (", size,
                                            " bytes)"));
}

// True when `inner` lies strictly below `outer` (both absolute and normalized).
bool IsStrictlyBelow(const fs::path& inner, const fs::path& outer) {
  const auto [outer_end, inner_rest] =
      std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
  return outer_end == outer.end() && inner_rest != inner.end();
}

absl::Status OutsideError(absl::string_view location, const fs::path& folder,
                          absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "location '", location, "' is outside the folder '", folder.string(), "' (", why, ")"));
}

}  // namespace

absl::Status FileError(absl::string_view action, const fs::path& path, int error) {
  const std::string message =
      absl::StrCat("cannot ", action, " '", path.string(), "': ", std::strerror(error));
  return error == ENOENT ? absl::NotFoundError(message) : absl::FailedPreconditionError(message);
}

fs::path FolderOf(const fs::path& file) {
  return file.has_parent_path() ? file.parent_path() : fs::path(".");
}

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  return ReadFileRange(path, 0, std::nullopt);
}

absl::StatusOr<std::string> ReadFileRange(const fs::path& path, int64_t offset,
                                          std::optional<int64_t> length) {
  absl::StatusOr<OpenedFile> opened = OpenForRead(path);
  if (!opened.ok()) return opened.status();
  const int64_t size = opened->size;
  if (offset < 0 || offset > size) return RangeError(path, offset, length.value_or(0), size);
  const int64_t wanted = length.value_or(size - offset);
  if (wanted < 0 || wanted > size - offset) return RangeError(path, offset, wanted, size);
  return ReadAt(*opened, path, offset, wanted);
}

absl::StatusOr<fs::path> ResolveInsideFolder(const fs::path& folder, absl::string_view location) {
  const fs::path relative{std::string(location)};
  if (relative.empty()) return absl::InvalidArgumentError("empty location");
  if (relative.has_root_path()) return OutsideError(location, folder, "an absolute path");
  const fs::path normal = relative.lexically_normal();
  if (*normal.begin() == "..") return OutsideError(location, folder, "it climbs out with '..'");
  if (!normal.has_filename() || normal == ".") {
    return absl::InvalidArgumentError(absl::StrCat("location '", location, "' names no file"));
  }
  std::error_code error;
  const fs::path real_folder = fs::weakly_canonical(fs::absolute(folder), error);
  if (error) return FileError("resolve", folder, error.value());
  const fs::path real_target = fs::weakly_canonical(fs::absolute(folder / normal), error);
  if (error) return FileError("resolve", folder / normal, error.value());
  if (!IsStrictlyBelow(real_target, real_folder)) {
    return OutsideError(location, folder, "a symbolic link leads out of it");
  }
  return folder / normal;
}

}  // namespace qbake
