// A RegularFile's bytes, from 0 to its size when opened, as a protobuf
// ZeroCopyInputStream: read block by block into one buffer that every block reuses,
// so a message parses straight from the file, without a copy of the whole file in
// memory. A failed read, or a file that shrank, ends the stream early, and status()
// says why in RegularFile::Read's words.
// Thread-compatible.
#ifndef QBAKE_COMMON_REGULAR_FILE_STREAM_H_
#define QBAKE_COMMON_REGULAR_FILE_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "common/regular_file.h"
#include "google/protobuf/io/zero_copy_stream.h"

namespace qbake {

class RegularFileStream : public google::protobuf::io::ZeroCopyInputStream {
 public:
  // `file` must outlive the stream; `block_bytes` > 0.
  RegularFileStream(const RegularFile* file, size_t block_bytes);

  bool Next(const void** data, int* size) override;
  void BackUp(int count) override;
  bool Skip(int count) override;
  int64_t ByteCount() const override { return position_; }

  // OK, or why the stream ended before the file's end.
  const absl::Status& status() const { return status_; }

 private:
  const RegularFile* file_;
  std::vector<char> block_;
  size_t block_length_ = 0;  // bytes of block_ read from the file
  size_t backed_up_ = 0;     // of those, at the block's end, not consumed
  int64_t position_ = 0;     // the next byte of the file to hand out
  absl::Status status_;
};

}  // namespace qbake

#endif  // QBAKE_COMMON_REGULAR_FILE_STREAM_H_
