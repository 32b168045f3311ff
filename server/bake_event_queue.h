// The events of one bake, queued as they become known and made one at a time as the
// writer asks for them: each baked parameter's TensorChunks (then, with
// want_integers, its IntegerChunks) as soon as it is baked; with an export, the
// ExportReport, the exported model's ModelChunks and ExportedTensorChunks instead of
// the TensorChunks; after Close, the updated config document's chunks (for a call
// that sent one), one ConfigUpdate per config in request order and the BakeSummary
// last. A parameter's data is owned by the queue and freed once its
// last chunk is made, so the queue holds only what has not been sent. A payload of
// N bytes comes in ceil(N / chunk_bytes) chunks (one when empty). Not thread-safe.
#ifndef QBAKE_SERVER_BAKE_EVENT_QUEUE_H_
#define QBAKE_SERVER_BAKE_EVENT_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/bake_outcome.h"
#include "core/config_spec.h"
#include "core/integer_type.h"
#include "core/ppq_config_document.h"
#include "core/qdq_export.h"
#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.pb.h"
#include "server/payload_bytes.h"

namespace qbake {

class BakeEventQueue {
 public:
  explicit BakeEventQueue(size_t chunk_bytes) : chunk_bytes_(chunk_bytes) {}

  BakeEventQueue(const BakeEventQueue&) = delete;
  BakeEventQueue& operator=(const BakeEventQueue&) = delete;

  // Queues the baked parameter `name`: its tensor's data (raw_data is moved out of
  // the tensor, see TakeTensorBytes) and, when not empty, its integers, of
  // `integer_type` (see PendingParameter).
  void AddParameter(const std::string& name, IntegerType integer_type, onnx::TensorProto* tensor,
                    std::vector<int32_t> integers);
  // As AddParameter for a bake that will be exported: the parameter is counted and
  // its integers queued, but its baked data stays in `tensor`, for the export.
  void AddParameterInPlace(const std::string& name, IntegerType integer_type,
                           const onnx::TensorProto& tensor, std::vector<int32_t> integers);
  // After the last parameter, before Close: queues `report` and the exported
  // `model`, whose top-level initializers with at least kExportedTensorMinBytes of
  // raw_data have it moved out into their ExportedTensorChunks. INVALID_ARGUMENT,
  // with nothing queued, when the rest exceeds protobuf's 2 GiB.
  absl::Status AddExport(const QdqExportReport& report, onnx::ModelProto* model);

  // After the last parameter: queues `document` (when given) rendered with the
  // outcome's states, then the ConfigUpdates of `specs` (index-aligned with
  // outcome.configs) and the summary. `specs` must outlive the queue.
  void Close(const std::vector<TensorConfigSpec>* specs, const PpqConfigDocument* document,
             BakeOutcome outcome, double receive_seconds);

  // Replaces `event` with the next queued event; false when none is queued.
  bool Next(v1::BakeEvent* event);

  // True once closed and every event has been made.
  bool drained() const { return summarized_; }
  // Payload bytes queued and not yet made into events.
  uint64_t queued_bytes() const { return queued_bytes_; }
  // Parameters queued so far.
  int64_t parameters() const { return parameters_; }

 private:
  // What a payload's chunks are; kReport is one event, export_report_.
  enum class Kind { kTensor, kIntegers, kReport, kModel, kExportedTensor, kConfigDocument };

  // A tensor's data, a parameter's integers, the exported model or the updated
  // config document, streamed in chunks.
  struct Payload {
    Kind kind = Kind::kTensor;
    std::string name;
    int32_t type = 0;  // onnx.TensorProto.DataType, or v1::IntegerType
    std::vector<int64_t> dims;
    PayloadBytes bytes;
  };

  // Counts a baked parameter and queues its integers, if any.
  void AddIntegers(const std::string& name, IntegerType integer_type,
                   const std::vector<int64_t>& dims, std::vector<int32_t> integers);
  void Queue(Payload payload);
  void NextChunk(v1::BakeEvent* event);
  v1::BakeSummary Summary() const;

  const size_t chunk_bytes_;
  std::deque<Payload> payloads_;
  std::optional<v1::ExportReport> export_report_;  // set by AddExport
  uint64_t offset_ = 0;                            // within payloads_.front()
  uint64_t queued_bytes_ = 0;
  int64_t parameters_ = 0;
  const std::vector<TensorConfigSpec>* specs_ = nullptr;  // set by Close
  BakeOutcome outcome_;
  double receive_seconds_ = 0;
  size_t config_ = 0;
  bool summarized_ = false;
  absl::Time first_event_ = absl::InfiniteFuture();
};

}  // namespace qbake

#endif  // QBAKE_SERVER_BAKE_EVENT_QUEUE_H_
