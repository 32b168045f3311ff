// The events of one finished bake, made one at a time as the writer asks for them,
// so no more than one event's data is ever held beyond the baked model. In order:
// the TensorChunks of each baked parameter (in config order, each parameter once);
// with want_integers, the IntegerChunks of each LINEAR or DYNAMIC one, in the same
// order; one ConfigUpdate per config in request order; the BakeSummary last.
// A payload of N bytes comes in ceil(N / chunk_bytes) chunks (one when empty).
#ifndef QBAKE_SERVER_BAKE_EVENT_SOURCE_H_
#define QBAKE_SERVER_BAKE_EVENT_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "qbake/v1/bake.pb.h"
#include "server/model_bake.h"
#include "server/payload_bytes.h"

namespace qbake {

class BakeEventSource {
 public:
  // `receive_seconds` goes into the summary; its send_seconds count from the
  // first call to Next.
  BakeEventSource(BakedModel baked, size_t chunk_bytes, double receive_seconds);

  BakeEventSource(const BakeEventSource&) = delete;
  BakeEventSource& operator=(const BakeEventSource&) = delete;

  // Replaces `event` with the next event; false once all have been made.
  bool Next(v1::BakeEvent* event);

  // Parameters the bake rewrote.
  int64_t parameters_baked() const {
    return static_cast<int64_t>(baked_.outcome.summary.parameters.size());
  }

 private:
  // A tensor's data or a parameter's integers, streamed in chunks.
  struct Payload {
    bool integers = false;
    std::string name;
    int32_t type = 0;  // onnx.TensorProto.DataType, or v1::IntegerType
    std::vector<int64_t> dims;
    PayloadBytes bytes;
  };

  void AddPayloads();
  void NextChunk(v1::BakeEvent* event);
  v1::BakeSummary Summary() const;

  BakedModel baked_;
  const size_t chunk_bytes_;
  const double receive_seconds_;
  std::vector<Payload> payloads_;
  size_t payload_ = 0;
  uint64_t offset_ = 0;  // within payloads_[payload_]
  size_t config_ = 0;
  bool summarized_ = false;
  absl::Time first_event_ = absl::InfiniteFuture();
};

}  // namespace qbake

#endif  // QBAKE_SERVER_BAKE_EVENT_SOURCE_H_
