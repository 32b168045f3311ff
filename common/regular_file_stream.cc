#include "common/regular_file_stream.h"

#include <algorithm>

#include "absl/types/span.h"

namespace qbake {

RegularFileStream::RegularFileStream(const RegularFile* file, size_t block_bytes)
    : file_(file), block_(block_bytes) {}

bool RegularFileStream::Next(const void** data, int* size) {
  if (backed_up_ > 0) {
    *data = block_.data() + (block_length_ - backed_up_);
    *size = static_cast<int>(backed_up_);
    position_ += static_cast<int64_t>(backed_up_);
    backed_up_ = 0;
    return true;
  }
  if (!status_.ok() || position_ >= file_->size()) return false;
  const auto length =
      static_cast<size_t>(std::min<int64_t>(file_->size() - position_, block_.size()));
  status_ = file_->ReadInto(position_, absl::MakeSpan(block_.data(), length));
  if (!status_.ok()) return false;
  block_length_ = length;
  *data = block_.data();
  *size = static_cast<int>(length);
  position_ += static_cast<int64_t>(length);
  return true;
}

void RegularFileStream::BackUp(int count) {
  backed_up_ = static_cast<size_t>(count);
  position_ -= count;
}

bool RegularFileStream::Skip(int count) {
  backed_up_ -= std::min(backed_up_, static_cast<size_t>(count));
  position_ += count;
  if (position_ <= file_->size()) return true;
  position_ = file_->size();
  return false;
}

}  // namespace qbake
