#include "common/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/beneath_folder.h"
#include "common/file_error.h"
#include "core/huge_pages.h"

namespace qbake {
namespace {

namespace fs = std::filesystem;

// O_NONBLOCK: opening a FIFO with no writer returns at once (to be refused by type).
constexpr int kReadFlags = O_RDONLY | O_NONBLOCK | O_CLOEXEC;

}  // namespace

absl::string_view DescribeFileKind(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

namespace {

absl::Status RangeError(const fs::path& path, int64_t offset, int64_t length, int64_t size) {
  return absl::OutOfRangeError(absl::StrCat("offset ", offset, " + length ", length,
                                            " runs past the end of '", path.string(), "' (", size,
                                            " bytes)"));
}

}  // namespace

absl::StatusOr<RegularFile> RegularFile::Adopt(UniqueFd fd, fs::path path) {
  struct stat info;
  if (fstat(fd.get(), &info) != 0) return FileError("stat", path, errno);
  if (!S_ISREG(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read '", path.string(), "': it is ",
                                                      DescribeFileKind(info.st_mode),
                                                      ", not a regular file"));
  }
  RegularFile file(std::move(fd), std::move(path));
  file.size_ = info.st_size;
  file.identity_ = {info.st_dev, info.st_ino};
  return file;
}

absl::StatusOr<RegularFile> RegularFile::Open(const fs::path& path) {
  UniqueFd fd(open(path.c_str(), kReadFlags));
  if (!fd.valid()) return FileError("open", path, errno);
  return Adopt(std::move(fd), path);
}

absl::StatusOr<RegularFile> RegularFile::OpenBeneath(const fs::path& folder,
                                                     absl::string_view location) {
  absl::StatusOr<PlaceBeneath> place = FindBeneath(folder, location, /*create_missing=*/false);
  if (!place.ok()) return place.status();
  UniqueFd fd(openat(place->folder.get(), place->name.c_str(), kReadFlags | O_NOFOLLOW));
  if (!fd.valid()) return BeneathOpenError("open", *place, errno);
  return Adopt(std::move(fd), place->path);
}

absl::StatusOr<int64_t> RegularFile::RangeLength(int64_t offset,
                                                 std::optional<int64_t> length) const {
  if (offset < 0 || offset > size_) return RangeError(path_, offset, length.value_or(0), size_);
  const int64_t wanted = length.value_or(size_ - offset);
  if (wanted < 0 || wanted > size_ - offset) return RangeError(path_, offset, wanted, size_);
  return wanted;
}

absl::StatusOr<std::string> RegularFile::Read(int64_t offset, std::optional<int64_t> length) const {
  const absl::StatusOr<int64_t> wanted = RangeLength(offset, length);
  if (!wanted.ok()) return wanted.status();
  std::string bytes;
  ReserveOnHugePages(&bytes, static_cast<size_t>(*wanted));
  bytes.resize(static_cast<size_t>(*wanted));
  absl::Status read = ReadInto(offset, absl::MakeSpan(bytes.data(), bytes.size()));
  if (!read.ok()) return read;
  return bytes;
}

absl::Status RegularFile::ReadInto(int64_t offset, absl::Span<char> into) const {
  for (size_t done = 0; done < into.size();) {
    const ssize_t got = pread(fd_.get(), into.data() + done, into.size() - done,
                              offset + static_cast<int64_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return FileError("read", path_, errno);
    if (got == 0) {
      return absl::FailedPreconditionError(absl::StrCat("cannot read '", path_.string(),
                                                        "': it shrank while being read (", size_,
                                                        " bytes when opened)"));
    }
    done += static_cast<size_t>(got);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RegularFile::ReadAll(int64_t limit) const {
  if (size_ > limit) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read '", path_.string(), "': ", size_,
                                                      " bytes, more than the ", limit,
                                                      " expected"));
  }
  return Read(0, std::nullopt);
}

absl::StatusOr<std::string> ReadRegularFile(const fs::path& path, int64_t limit) {
  absl::StatusOr<RegularFile> file = RegularFile::Open(path);
  if (!file.ok()) return file.status();
  return file->ReadAll(limit);
}

}  // namespace qbake
