// A model made small enough to serialize whatever its size, for BakeStream: while an
// ExternalizedModel lives, every tensor of the model whose raw_data holds more than
// a threshold, and every tensor a TensorStore holds, is marked as ONNX external data
// under a location of its own ("qbake-stream/N", offset 0, its length), to be sent as
// ExternalDataChunks. The raw_data moved out is held here; nothing is copied: the
// bytes are moved out and moved back. Destruction restores the model exactly as it
// was.
#ifndef QBAKE_CLIENT_EXTERNALIZED_MODEL_H_
#define QBAKE_CLIENT_EXTERNALIZED_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "client/tensor_store.h"
#include "onnx/onnx_pb.h"

namespace qbake {

class ExternalizedModel {
 public:
  // One externalized tensor: the location the model now names and its bytes, held
  // here (moved out of raw_data) or, for a tensor the store holds, in the store.
  struct ExternalBytes {
    std::string location;
    std::string bytes;                          // empty for a stored tensor
    const onnx::TensorProto* stored = nullptr;  // the tensor, when the store holds it
    uint64_t size = 0;                          // of its bytes, wherever they are
  };

  // Marks every tensor of `model` (see core/model_tensors.h) that `store` (when
  // given) holds, and moves out the raw_data of every other one holding more than
  // `min_external_bytes` of it; other tensors already external are left alone. The
  // model and the store must outlive this object and the model keep its structure
  // meanwhile.
  ExternalizedModel(onnx::ModelProto* model, size_t min_external_bytes,
                    const TensorStore* store = nullptr);
  ~ExternalizedModel();

  ExternalizedModel(const ExternalizedModel&) = delete;
  ExternalizedModel& operator=(const ExternalizedModel&) = delete;

  const std::vector<ExternalBytes>& external() const { return external_; }
  const TensorStore* store() const { return store_; }
  // The bytes of every externalized tensor together.
  uint64_t external_bytes() const;

 private:
  // An externalized tensor and its data_location and external_data entries before,
  // to put back. A tensor that is not EXTERNAL may still carry entries (ONNX ignores
  // them); they are not sent, or the server would read them as the tensor's.
  struct Moved {
    onnx::TensorProto* tensor = nullptr;
    bool had_data_location = false;
    onnx::TensorProto::DataLocation data_location = onnx::TensorProto::DEFAULT;
    google::protobuf::RepeatedPtrField<onnx::StringStringEntryProto> entries;
  };

  // Marks `tensor` external with a location of its own for `size` bytes, its raw_data
  // moved out unless the store holds it.
  void Externalize(onnx::TensorProto* tensor, bool stored, uint64_t size);

  const TensorStore* store_;
  std::vector<Moved> moved_;
  std::vector<ExternalBytes> external_;  // index-aligned with moved_
};

}  // namespace qbake

#endif  // QBAKE_CLIENT_EXTERNALIZED_MODEL_H_
