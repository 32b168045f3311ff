// The exported model of a remote bake that asked for an export (BakeOptions.format),
// rebuilt from the ModelChunks and ExportedTensorChunks of its reply (see
// qbake/v1/bake.proto): the model without its large initializers' data, then each
// of those, in graph order. The server is not trusted: chunks must continue where
// the last one ended, the model must parse, and each tensor's bytes must go to the
// next initializer of its name that lacks them, match its element type and dims, and
// fill it exactly.
#ifndef QBAKE_CLIENT_EXPORTED_MODEL_ASSEMBLY_H_
#define QBAKE_CLIENT_EXPORTED_MODEL_ASSEMBLY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.pb.h"

namespace qbake {

class ExportedModelAssembly {
 public:
  // INTERNAL (see MalformedReply) for a chunk that does not continue the model, or
  // that comes after its first tensor.
  absl::Status Add(const v1::ModelChunk& chunk);
  // INTERNAL for a chunk before the whole model, a model that does not parse, and a
  // chunk that does not continue its tensor or starts one that no initializer left
  // after the previous one awaits (see above).
  absl::Status Add(const v1::TensorChunk& chunk);

  // The exported model, once. INTERNAL when none arrived, it or its last tensor
  // ended early, or an initializer was left without its bytes.
  absl::StatusOr<onnx::ModelProto> Take();

 private:
  // Parses the model once its last chunk has arrived.
  absl::Status ParseModel();
  // Starts the tensor of `chunk` (offset 0) at the next initializer that awaits it.
  absl::Status StartTensor(const v1::TensorChunk& chunk);
  // INTERNAL unless the tensor being filled holds all its bytes.
  absl::Status CheckTensorWhole() const;

  std::string model_bytes_;
  uint64_t model_total_ = 0;
  std::optional<onnx::ModelProto> model_;  // once parsed
  int next_initializer_ = 0;               // where the search for the next tensor starts
  onnx::TensorProto* filling_ = nullptr;   // the tensor whose bytes are arriving
  uint64_t filling_total_ = 0;
};

}  // namespace qbake

#endif  // QBAKE_CLIENT_EXPORTED_MODEL_ASSEMBLY_H_
