#include "core/external_data_info.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace qbake {
namespace {

absl::StatusOr<int64_t> ByteCount(const onnx::StringStringEntryProto& entry) {
  int64_t count = 0;
  if (!absl::SimpleAtoi(entry.value(), &count) || count < 0) {
    return absl::InvalidArgumentError(absl::StrCat("external data '", entry.key(), "' is '",
                                                   entry.value(), "', not a byte count"));
  }
  return count;
}

}  // namespace

absl::StatusOr<ExternalDataInfo> ReadExternalDataInfo(const onnx::TensorProto& tensor) {
  ExternalDataInfo info;
  for (const onnx::StringStringEntryProto& entry : tensor.external_data()) {
    if (entry.key() == "location") {
      info.location = entry.value();
    } else if (entry.key() == "offset" || entry.key() == "length") {
      absl::StatusOr<int64_t> count = ByteCount(entry);
      if (!count.ok()) return count.status();
      if (entry.key() == "offset") {
        info.offset = *count;
      } else {
        info.length = *count;
      }
    }
  }
  if (info.location.empty()) {
    return absl::InvalidArgumentError("external data has no 'location'");
  }
  if (info.length && info.offset > std::numeric_limits<int64_t>::max() - *info.length) {
    return absl::InvalidArgumentError("external data 'offset' + 'length' overflows");
  }
  return info;
}

}  // namespace qbake
