// The request side of one BakeStream call, in the order bake.proto lays down: the
// header, the serialized model in model_data chunks, then the bytes of every
// externalized tensor in ExternalDataChunks, no message carrying more than
// kStreamChunkBytes of data (far below gRPC's default 4 MiB message limit).
#ifndef QBAKE_CLIENT_BAKE_STREAM_UPLOAD_H_
#define QBAKE_CLIENT_BAKE_STREAM_UPLOAD_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "client/externalized_model.h"
#include "grpcpp/support/sync_stream.h"
#include "qbake/v1/bake.pb.h"

namespace qbake {

inline constexpr size_t kStreamChunkBytes = size_t{1} << 20;

using BakeStreamWriter = grpc::ClientReaderWriterInterface<v1::BakeStreamRequest, v1::BakeEvent>;

struct BakeStreamUpload {
  v1::BakeStreamHeader header;  // configs and options; model_bytes is set on writing
  std::string model;            // serialized while `external` held its large tensors
  const ExternalizedModel* external = nullptr;  // required

  // Bytes of data the messages carry: the model and its external tensors.
  uint64_t payload_bytes() const { return model.size() + external->external_bytes(); }
};

// Writes every message of `upload`, then half-closes the stream; stops at the
// first message the stream refuses (the call has ended: its status says why; OK is
// returned). The bytes of stored tensors are read from the store a chunk at a
// time; a read that fails stops the upload and is returned (the caller then cancels
// the call). Only writes: the caller reads the replies meanwhile, on another thread.
// `progress`, when set, is called after each message with the payload bytes sent
// so far and payload_bytes().
absl::Status WriteBakeStream(const BakeStreamUpload& upload, BakeStreamWriter* stream,
                             const std::function<void(int64_t, int64_t)>& progress);

}  // namespace qbake

#endif  // QBAKE_CLIENT_BAKE_STREAM_UPLOAD_H_
