// Where the data of some tensors of a model lives while the model is baked remotely
// without it: the tensors a store holds have no data in the model message (a file
// read without it, such as the CLI's located model files). Their bytes are read from
// the store a chunk at a time as they are sent, and the baked bytes of those a bake
// rewrites are written into it as they arrive, so a client holds no tensor whole.
//
// The upload reads and the reply writes on two threads at once: Read and Write must
// allow that. Neither is called twice at once.
#ifndef QBAKE_CLIENT_TENSOR_STORE_H_
#define QBAKE_CLIENT_TENSOR_STORE_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "onnx/onnx_pb.h"

namespace qbake {

class TensorStore {
 public:
  virtual ~TensorStore() = default;

  // The byte count of `tensor`'s data when the store holds it; nullopt otherwise.
  virtual std::optional<uint64_t> Size(const onnx::TensorProto& tensor) const = 0;

  // Bytes [offset, offset + into.size()) of a held tensor's data, within its Size.
  // An error names the tensor and says why (a file that shrank, a failed read).
  virtual absl::Status Read(const onnx::TensorProto& tensor, uint64_t offset,
                            absl::Span<char> into) const = 0;

  // Replaces bytes [offset, offset + bytes.size()) of a held tensor's data, within
  // its Size. An error names the tensor and says why.
  virtual absl::Status Write(const onnx::TensorProto& tensor, uint64_t offset,
                             absl::string_view bytes) const = 0;
};

}  // namespace qbake

#endif  // QBAKE_CLIENT_TENSOR_STORE_H_
