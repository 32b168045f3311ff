#include "server/request_model.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "core/error_detail.h"
#include "server/wire_message.h"

namespace qbake {

absl::Status CheckModelBytes(uint64_t bytes, uint64_t max_bytes) {
  if (bytes <= max_bytes) return absl::OkStatus();
  return WithReason(
      absl::ResourceExhaustedError(absl::StrCat("model: ", bytes,
                                                " bytes with its external data, above the server's "
                                                "limit of ",
                                                max_bytes, " (--max-model-bytes)")),
      error_reason::kModelTooLarge);
}

absl::Status CheckParseableBytes(uint64_t bytes) {
  if (bytes <= static_cast<uint64_t>(std::numeric_limits<int>::max())) return absl::OkStatus();
  return WithReason(
      absl::InvalidArgumentError(absl::StrCat(
          "model: not a valid onnx.ModelProto: ", bytes,
          " bytes exceed protobuf's 2 GiB limit; send large tensors as external data")),
      error_reason::kModelTooLarge);
}

absl::StatusOr<std::unique_ptr<onnx::ModelProto>> ParseModel(absl::string_view bytes) {
  auto model = std::make_unique<onnx::ModelProto>();
  absl::Status parsed = ParseWireMessage(bytes, "model", model.get());
  if (!parsed.ok()) {
    return WithReason(parsed, parsed.code() == absl::StatusCode::kResourceExhausted
                                  ? error_reason::kModelTooLarge
                                  : error_reason::kModelInvalid);
  }
  if (!model->has_graph()) {
    return WithReason(
        absl::InvalidArgumentError("model: not a valid onnx.ModelProto: it has no graph"),
        error_reason::kModelInvalid);
  }
  return model;
}

}  // namespace qbake
