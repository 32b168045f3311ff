// Assembles the messages of one BakeStream call into the bake it asks for: first
// the header (configs, options, model_bytes), then model_data chunks totalling
// exactly model_bytes, then ExternalDataChunks for the model's external tensors
// (see ExternalDataAssembly). Every size is checked against the server's limit
// before any data is taken, and memory grows only with the data that arrives.
// Errors are INVALID_ARGUMENT for a stream out of order or inconsistent,
// RESOURCE_EXHAUSTED over the limit. Not thread-safe.
#ifndef QBAKE_SERVER_STREAM_ASSEMBLER_H_
#define QBAKE_SERVER_STREAM_ASSEMBLER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.pb.h"
#include "server/bake_settings.h"
#include "server/external_data_assembly.h"

namespace qbake {

struct AssembledBake {
  std::unique_ptr<onnx::ModelProto> model;  // every tensor inline
  BakeSettings settings;
};

class StreamAssembler {
 public:
  enum class Step {
    kReadMore,    // pass the next message
    kParseModel,  // the model's bytes are complete: call ParseModel first
  };

  explicit StreamAssembler(uint64_t max_model_bytes) : max_model_bytes_(max_model_bytes) {}

  // Takes one message, moving its bytes out.
  absl::StatusOr<Step> Add(v1::BakeStreamRequest* message);

  // Parses the model and sets aside its external tensors' memory. Slow for a large
  // model: meant for a worker thread.
  absl::Status ParseModel();

  // After the last message: the model with its external data filled in.
  absl::StatusOr<AssembledBake> Finish();

 private:
  enum class Phase { kHeader, kModel, kParse, kExternal };

  absl::StatusOr<Step> AddHeader(const v1::BakeStreamHeader& header);
  absl::StatusOr<Step> AddModelData(std::string* data);

  const uint64_t max_model_bytes_;
  Phase phase_ = Phase::kHeader;
  BakeSettings settings_;
  uint64_t model_bytes_ = 0;
  std::string model_data_;
  std::unique_ptr<onnx::ModelProto> model_;
  std::optional<ExternalDataAssembly> external_;
};

}  // namespace qbake

#endif  // QBAKE_SERVER_STREAM_ASSEMBLER_H_
