// A file descriptor owned by one object: closed when the owner goes, moved not copied.
// Not thread-safe; a const UniqueFd may be read from several threads.
#ifndef QBAKE_COMMON_UNIQUE_FD_H_
#define QBAKE_COMMON_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace qbake {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  // -1 when nothing is owned.
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  int fd_ = -1;
};

}  // namespace qbake

#endif  // QBAKE_COMMON_UNIQUE_FD_H_
