// A serialized ONNX model read for its structure without the bytes of its large
// inline tensors: the wire format of the file is walked (nothing is parsed), each
// raw_data of the top-level graph's initializers and node attribute tensors (a
// Constant's value) is found where it lies in the file, and the large ones are left
// out of the skeleton, a ModelProto serialized again without them. A bake rewrites
// those bytes where they lie (cli/staged_bake.h).
#ifndef QBAKE_CLI_MODEL_SKELETON_H_
#define QBAKE_CLI_MODEL_SKELETON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/regular_file.h"

namespace qbake {

// Where one tensor's raw_data lies in the model file. The tensor is, in the model as
// parsed, the top-level graph's initializer `initializer` or, when that is -1, the
// tensor (`t`) of attribute `attribute` of its node `node`.
struct InlineDataSpan {
  int initializer = -1;
  int node = -1;
  int attribute = -1;
  int64_t offset = 0;  // of its first byte in the file
  int64_t length = 0;
  bool stripped = false;  // left out of the skeleton
};

struct ModelSkeleton {
  std::string bytes;  // a serialized ModelProto: the model without the stripped raw_data
  std::vector<InlineDataSpan> spans;  // in file order
};

// Walks the ModelProto in `file`: every field is kept (re-encoded) but the raw_data
// of `strip_min_bytes` or more of those tensors. An error when
// the file is not wire format this walk takes as it is: truncated or malformed
// fields, an initializer with raw_data twice (protobuf keeps the last), a model of
// 2 GiB or more; the caller then parses the file whole, whose errors name the flaw.
absl::StatusOr<ModelSkeleton> ReadModelSkeleton(const RegularFile& file, int64_t strip_min_bytes);

}  // namespace qbake

#endif  // QBAKE_CLI_MODEL_SKELETON_H_
