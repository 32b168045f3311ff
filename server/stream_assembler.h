// Reads the messages of one BakeStream call: first the header (configs, options,
// model_bytes), then model_data chunks totalling exactly model_bytes, then
// ExternalDataChunks for the model's external tensors (see ExternalDataAssembly),
// which become inline one by one as their last bytes arrive. Every size is checked
// against the server's limit before any data is taken, and memory grows only with
// the data that arrives. Errors are INVALID_ARGUMENT for a stream out of order or
// inconsistent, RESOURCE_EXHAUSTED over the limit. Not thread-safe.
#ifndef QBAKE_SERVER_STREAM_ASSEMBLER_H_
#define QBAKE_SERVER_STREAM_ASSEMBLER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.pb.h"
#include "server/bake_settings.h"
#include "server/external_data_assembly.h"

namespace qbake {

class StreamAssembler {
 public:
  enum class Step {
    kReadMore,    // pass the next message
    kParseModel,  // the model's bytes are complete: call ParseModel first
  };

  explicit StreamAssembler(uint64_t max_model_bytes) : max_model_bytes_(max_model_bytes) {}

  // Takes one message, moving its bytes out. External tensors it completes are
  // appended to `completed`.
  absl::StatusOr<Step> Add(v1::BakeStreamRequest* message,
                           std::vector<onnx::TensorProto*>* completed);

  // Parses the model and prepares for its external tensors. Slow for a large model:
  // meant for a worker thread. The model is the caller's, and must outlive this
  // assembler; its external tensors fill in as Add takes their bytes.
  absl::StatusOr<std::unique_ptr<onnx::ModelProto>> ParseModel();

  // After ParseModel: the call's settings, once.
  BakeSettings TakeSettings() { return std::move(settings_); }

  // After the last message: OK when the model and every external byte arrived.
  absl::Status Finish() const;

 private:
  enum class Phase { kHeader, kModel, kParse, kExternal };

  absl::StatusOr<Step> AddHeader(const v1::BakeStreamHeader& header);
  absl::StatusOr<Step> AddModelData(std::string* data);

  const uint64_t max_model_bytes_;
  Phase phase_ = Phase::kHeader;
  BakeSettings settings_;
  uint64_t model_bytes_ = 0;
  std::string model_data_;
  std::optional<ExternalDataAssembly> external_;
};

}  // namespace qbake

#endif  // QBAKE_SERVER_STREAM_ASSEMBLER_H_
