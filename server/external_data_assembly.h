// The tensors of a BakeStream model that are stored as ONNX external data
// (data_location EXTERNAL, with "location", "offset" and "length" entries; offset
// defaults to 0, length is required), filled from the call's ExternalDataChunks.
// A chunk holds bytes [offset, offset + size) of its location; each byte must fall
// inside some tensor's declared range there and arrive once. A chunk may span
// several adjacent tensors. Tensors must not declare overlapping bytes: baked, they
// would be written back over each other.
// A tensor becomes inline (data_location DEFAULT, external_data entries removed)
// as soon as its last byte arrives, so it can be baked while others still come.
#ifndef QBAKE_SERVER_EXTERNAL_DATA_ASSEMBLY_H_
#define QBAKE_SERVER_EXTERNAL_DATA_ASSEMBLY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onnx/onnx_pb.h"
#include "server/byte_intervals.h"

namespace qbake {

class ExternalDataAssembly {
 public:
  // Finds the external tensors of `model`'s graph and checks their entries
  // (INVALID_ARGUMENT naming the tensor, also for ranges that overlap in one
  // location) and that `model_bytes` (the serialized model) and their lengths total
  // at most `max_bytes` (RESOURCE_EXHAUSTED). Memory follows the bytes received,
  // whatever the lengths declare and in whatever order the bytes come (see Place).
  // The model must outlive the assembly. Tensors declaring no bytes are inline at
  // once (and never listed by TakeCompleted).
  static absl::StatusOr<ExternalDataAssembly> Create(onnx::ModelProto* model, uint64_t model_bytes,
                                                     uint64_t max_bytes);

  // Copies bytes [offset, offset + data.size()) of `location` into every tensor
  // whose range they overlap. INVALID_ARGUMENT for a location no tensor uses, bytes
  // outside every tensor's range, and bytes given before; RESOURCE_EXHAUSTED when a
  // tensor's memory cannot be had.
  absl::Status Add(absl::string_view location, uint64_t offset, absl::string_view data);

  // The tensors made whole (and inline) since the last call, in completion order.
  std::vector<onnx::TensorProto*> TakeCompleted();

  // INVALID_ARGUMENT naming a tensor with bytes never given.
  absl::Status Finish() const;

 private:
  // One tensor's declared bytes [begin, end) of its location.
  struct Range {
    uint64_t begin = 0;
    uint64_t end = 0;
    onnx::TensorProto* tensor = nullptr;
    std::string label;  // "tensor 'W'"
    // Bytes received ahead of some before them, by offset in the tensor.
    std::map<uint64_t, std::string> ahead;
  };
  struct Location {
    std::vector<Range> ranges;  // by begin
    uint64_t longest = 0;       // the longest range's length
    ByteIntervals declared;
    ByteIntervals given;
  };

  ExternalDataAssembly() = default;
  // INVALID_ARGUMENT naming two of `ranges` (sorted by begin) that overlap.
  static absl::Status CheckDisjoint(absl::string_view location, const std::vector<Range>& ranges);
  absl::Status Copy(Location& location, uint64_t offset, absl::string_view data);
  // Puts `piece`, bytes from `at` of the range's tensor, in its raw_data; throws
  // what allocating throws.
  static void Place(Range& range, uint64_t at, absl::string_view piece);
  // Makes the range's tensor inline and lists it as completed.
  void Complete(const Range& range);

  std::map<std::string, Location, std::less<>> locations_;
  std::vector<onnx::TensorProto*> completed_;
};

}  // namespace qbake

#endif  // QBAKE_SERVER_EXTERNAL_DATA_ASSEMBLY_H_
