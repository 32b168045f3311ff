// A model made small enough to serialize whatever its size, for BakeStream: while an
// ExternalizedModel lives, every tensor of the model whose raw_data holds more than
// a threshold is marked as ONNX external data under a location of its own
// ("qbake-stream/N", offset 0, its length) and its bytes are held here, to be sent
// as ExternalDataChunks. Nothing is copied: the bytes are moved out and moved back.
// Destruction restores the model exactly as it was.
#ifndef QBAKE_CLIENT_EXTERNALIZED_MODEL_H_
#define QBAKE_CLIENT_EXTERNALIZED_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"

namespace qbake {

class ExternalizedModel {
 public:
  // The bytes of one moved-out tensor and the location the model now names.
  struct ExternalBytes {
    std::string location;
    std::string bytes;
  };

  // Moves out the raw_data of every tensor (see core/model_tensors.h) holding more
  // than `min_external_bytes` of it; tensors already external are left alone. The
  // model must outlive this object and keep its structure meanwhile.
  ExternalizedModel(onnx::ModelProto* model, size_t min_external_bytes);
  ~ExternalizedModel();

  ExternalizedModel(const ExternalizedModel&) = delete;
  ExternalizedModel& operator=(const ExternalizedModel&) = delete;

  const std::vector<ExternalBytes>& external() const { return external_; }
  // The bytes of every moved-out tensor together.
  uint64_t external_bytes() const;

 private:
  // A moved-out tensor and its data_location and external_data entries before, to
  // put back. A tensor that is not EXTERNAL may still carry entries (ONNX ignores
  // them); they are not sent, or the server would read them as the tensor's.
  struct Moved {
    onnx::TensorProto* tensor = nullptr;
    bool had_data_location = false;
    onnx::TensorProto::DataLocation data_location = onnx::TensorProto::DEFAULT;
    google::protobuf::RepeatedPtrField<onnx::StringStringEntryProto> entries;
  };

  void MoveOut(onnx::TensorProto* tensor);

  std::vector<Moved> moved_;
  std::vector<ExternalBytes> external_;  // index-aligned with moved_
};

}  // namespace qbake

#endif  // QBAKE_CLIENT_EXTERNALIZED_MODEL_H_
