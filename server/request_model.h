// The model a call brings: its size against the server's limit, and its parsing.
#ifndef QBAKE_SERVER_REQUEST_MODEL_H_
#define QBAKE_SERVER_REQUEST_MODEL_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onnx/onnx_pb.h"

namespace qbake {

// RESOURCE_EXHAUSTED when `bytes` (the model and its external data) exceed
// `max_bytes`, the server's --max-model-bytes.
absl::Status CheckModelBytes(uint64_t bytes, uint64_t max_bytes);

// INVALID_ARGUMENT when a serialized model of `bytes` is beyond protobuf's 2 GiB
// message limit.
absl::Status CheckParseableBytes(uint64_t bytes);

// A parsed model may take at most this many times its serialized size, plus the
// allowance: real models stay far below (their bytes are mostly tensor data, kept as
// sent), many tiny messages (empty initializers, nodes or attributes) do not.
inline constexpr uint64_t kMaxParseGrowth = 16;
inline constexpr uint64_t kParseAllowanceBytes = uint64_t{64} << 20;

// RESOURCE_EXHAUSTED naming the busiest repeated field when parsing `bytes` as a
// ModelProto would take more memory than kMaxParseGrowth allows (EstimateParseCost).
absl::Status CheckParseCost(absl::string_view bytes);

// INVALID_ARGUMENT "model: not a valid ONNX ModelProto ..." when `bytes` do not parse
// as one, fail CheckParseableBytes, or hold no graph; CheckParseCost's refusal first.
absl::StatusOr<std::unique_ptr<onnx::ModelProto>> ParseModel(absl::string_view bytes);

}  // namespace qbake

#endif  // QBAKE_SERVER_REQUEST_MODEL_H_
