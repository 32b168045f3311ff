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

// The model in `bytes`, through ParseWireMessage ("model: ..."); INVALID_ARGUMENT
// too when it holds no graph.
absl::StatusOr<std::unique_ptr<onnx::ModelProto>> ParseModel(absl::string_view bytes);

}  // namespace qbake

#endif  // QBAKE_SERVER_REQUEST_MODEL_H_
