#include "server/request_model.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "server/parse_cost.h"

namespace qbake {

absl::Status CheckModelBytes(uint64_t bytes, uint64_t max_bytes) {
  if (bytes <= max_bytes) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat("model: ", bytes,
                                                   " bytes with its external data, above the "
                                                   "server's limit of ",
                                                   max_bytes, " (--max-model-bytes)"));
}

absl::Status CheckParseableBytes(uint64_t bytes) {
  if (bytes <= static_cast<uint64_t>(std::numeric_limits<int>::max())) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("model: not a valid ONNX ModelProto: ", bytes,
                   " bytes exceed protobuf's 2 GiB limit; send large tensors as external data"));
}

absl::Status CheckParseCost(absl::string_view bytes) {
  const ParseCost cost = EstimateParseCost(*onnx::ModelProto::descriptor(), bytes);
  const uint64_t allowed = kMaxParseGrowth * bytes.size() + kParseAllowanceBytes;
  if (cost.memory_bytes <= allowed) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "model: its ", bytes.size(), " bytes would take about ", cost.memory_bytes >> 20,
      " MiB parsed (", cost.messages, " messages, ", cost.busiest_entries, " of them in ",
      cost.busiest_field, "); the server parses a model into at most ", kMaxParseGrowth,
      " times its size plus ", kParseAllowanceBytes >> 20, " MiB"));
}

absl::StatusOr<std::unique_ptr<onnx::ModelProto>> ParseModel(absl::string_view bytes) {
  absl::Status parseable = CheckParseableBytes(bytes.size());
  if (!parseable.ok()) return parseable;
  absl::Status affordable = CheckParseCost(bytes);
  if (!affordable.ok()) return affordable;
  auto model = std::make_unique<onnx::ModelProto>();
  if (!model->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("model: not a valid ONNX ModelProto (", bytes.size(), " bytes)"));
  }
  if (!model->has_graph()) {
    return absl::InvalidArgumentError("model: not a valid ONNX ModelProto: it has no graph");
  }
  return model;
}

}  // namespace qbake
