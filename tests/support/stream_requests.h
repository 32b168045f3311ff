// The messages a BakeStream client sends for a model: the header, the serialized
// model in pieces, then the bytes of its large tensors, which it moves to external
// data under one synthetic location, packed end to end and sent in pieces that
// cross tensor boundaries.
#ifndef QBAKE_TESTS_SUPPORT_STREAM_REQUESTS_H_
#define QBAKE_TESTS_SUPPORT_STREAM_REQUESTS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/config_spec.h"
#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.pb.h"

namespace qbake::testing {

inline constexpr char kBlobLocation[] = "qbake-stream-blob";

struct StreamLayout {
  size_t model_piece = 4096;           // bytes of model_data per message
  size_t external_piece = 10007;       // bytes of external_data per message
  uint64_t external_min_bytes = 1024;  // initializers with at least this much raw_data go external
};

// Moves the raw_data of every initializer of at least `min_bytes` into the returned
// blob, marking the tensor EXTERNAL at its place there.
std::string MoveToExternalData(onnx::ModelProto* model, uint64_t min_bytes);

v1::BakeStreamRequest HeaderRequest(const std::vector<TensorConfigSpec>& specs,
                                    const v1::BakeOptions& options, uint64_t model_bytes);
v1::BakeStreamRequest ExternalRequest(const std::string& location, uint64_t offset,
                                      std::string data);

// The requests of a BakeStream call made one at a time (for StreamBake): the
// header with `specs`, `model` in one model_data message, then bytes
// [0, external_bytes) of kBlobLocation in pieces of `piece_bytes` (which must
// divide external_bytes), each made by `piece(offset, n)` only when sent.
std::function<bool(v1::BakeStreamRequest*)> BlobStream(
    std::vector<TensorConfigSpec> specs, std::string model, uint64_t external_bytes,
    size_t piece_bytes, std::function<std::string(uint64_t offset, size_t n)> piece);

std::vector<v1::BakeStreamRequest> StreamRequests(onnx::ModelProto model,
                                                  const std::vector<TensorConfigSpec>& specs,
                                                  const v1::BakeOptions& options = {},
                                                  const StreamLayout& layout = {});

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_STREAM_REQUESTS_H_
