// A regular file opened for reading. Every check (that it exists, that it is a
// regular file, its size) is made on the open descriptor and every byte is read
// from it, so the file checked is the file read: replacing the path meanwhile
// changes nothing. FIFOs, devices, sockets and folders are refused without
// blocking. Hard links are regular files: a hard link beneath a folder is read as
// the folder's file (whoever made it could already read and write its target).
// Thread-compatible; a const RegularFile may be read from several threads.
#ifndef QBAKE_COMMON_REGULAR_FILE_H_
#define QBAKE_COMMON_REGULAR_FILE_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/unique_fd.h"

namespace qbake {

// Which file a path led to: equal for two names of one file (hard links too).
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileIdentity& other) const {
    return device == other.device && inode == other.inode;
  }
  bool operator<(const FileIdentity& other) const {
    return device != other.device ? device < other.device : inode < other.inode;
  }
};

class RegularFile {
 public:
  // The file at `path`, symbolic links in it followed (its caller named it).
  // NOT_FOUND when missing; FAILED_PRECONDITION when unreadable or not a regular file.
  static absl::StatusOr<RegularFile> Open(const std::filesystem::path& path);

  // The file `location` names beneath `folder` (see FindBeneath): the same errors,
  // and INVALID_ARGUMENT for a location that leaves the folder or a symbolic link.
  static absl::StatusOr<RegularFile> OpenBeneath(const std::filesystem::path& folder,
                                                 absl::string_view location);

  const std::filesystem::path& path() const { return path_; }
  int64_t size() const { return size_; }  // when opened
  FileIdentity identity() const { return identity_; }
  int fd() const { return fd_.get(); }

  // The length of the range of `length` bytes from `offset` (all from `offset` when
  // `length` is absent); OUT_OF_RANGE when it runs past the size.
  absl::StatusOr<int64_t> RangeLength(int64_t offset, std::optional<int64_t> length) const;

  // `length` bytes from `offset`, or all from `offset` when `length` is absent.
  // OUT_OF_RANGE when the range runs past the size; FAILED_PRECONDITION when the
  // file shrank since it was opened or cannot be read.
  absl::StatusOr<std::string> Read(int64_t offset, std::optional<int64_t> length) const;

  // Fills `into` with the bytes from `offset`, which the caller keeps within the size:
  // Read's errors for a read that fails or a file that shrank.
  absl::Status ReadInto(int64_t offset, absl::Span<char> into) const;

  // The whole file; FAILED_PRECONDITION naming `limit` when it holds more.
  absl::StatusOr<std::string> ReadAll(int64_t limit) const;

 private:
  RegularFile(UniqueFd fd, std::filesystem::path path)
      : fd_(std::move(fd)), path_(std::move(path)) {}
  static absl::StatusOr<RegularFile> Adopt(UniqueFd fd, std::filesystem::path path);

  UniqueFd fd_;
  std::filesystem::path path_;
  int64_t size_ = 0;
  FileIdentity identity_;
};

// What a file of `mode` is, for messages: "a folder", "a FIFO", "a symbolic link"...
absl::string_view DescribeFileKind(mode_t mode);

// `path` read whole, as RegularFile::Open and ReadAll read it.
absl::StatusOr<std::string> ReadRegularFile(const std::filesystem::path& path, int64_t limit);

}  // namespace qbake

#endif  // QBAKE_COMMON_REGULAR_FILE_H_
