// A tensor's external data entries (ONNX's TensorProto.external_data): where its
// bytes are, as ONNX and ONNX Runtime read the keys "location", "offset" and
// "length". The one reader of these entries, for model files on disk and for the
// server's stream assembly alike; what each requires beyond it (a length, a file)
// is theirs to check.
#ifndef QBAKE_CORE_EXTERNAL_DATA_INFO_H_
#define QBAKE_CORE_EXTERNAL_DATA_INFO_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "onnx/onnx_pb.h"

namespace qbake {

struct ExternalDataInfo {
  std::string location;           // a path relative to the model's folder
  int64_t offset = 0;             // 0 when absent
  std::optional<int64_t> length;  // absent: to the end of the file
};

// The entries of `tensor`; other keys (such as "checksum") are ignored, and where a
// key repeats, its last value counts. INVALID_ARGUMENT, with a message that begins
// "external data", when "location" is missing or empty, an offset or length is not
// a decimal count from 0 to 2^63 - 1, or offset + length exceeds that.
absl::StatusOr<ExternalDataInfo> ReadExternalDataInfo(const onnx::TensorProto& tensor);

}  // namespace qbake

#endif  // QBAKE_CORE_EXTERNAL_DATA_INFO_H_
