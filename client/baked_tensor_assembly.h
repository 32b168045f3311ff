// The baked tensors of a remote bake, rebuilt from the TensorChunks of its reply.
// Chunks are accepted only for the parameters the request bakes (see Bakes). Each
// chunk is checked against the model's own parameter of that name (initializer or
// Constant value, found as the core finds them): element type, dims, total size,
// and an offset where the tensor's previous chunk ended. Nothing reaches the model
// until WriteInto, which checks every tensor first and then writes them all, each
// in the storage form it had (raw_data, or float_data / int32_data). The bytes of a
// tensor a TensorStore holds are not kept: each chunk is written into the store as
// it comes, and WriteInto leaves those tensors to it.
#ifndef QBAKE_CLIENT_BAKED_TENSOR_ASSEMBLY_H_
#define QBAKE_CLIENT_BAKED_TENSOR_ASSEMBLY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "client/tensor_store.h"
#include "core/config_spec.h"
#include "core/graph_index.h"
#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.pb.h"

namespace qbake {

class BakedTensorAssembly {
 public:
  // A parameter whose every byte has arrived, as its chunks described it (which is
  // as the model holds it).
  struct WholeTensor {
    int32_t data_type = 0;  // onnx::TensorProto::DataType
    int64_t elements = 0;
    int64_t bytes = 0;
  };

  // `model` must outlive the assembly and keep its structure; the data of its
  // tensors may be elsewhere until WriteInto (see ExternalizedModel). `specs` are
  // the bake's; only the parameters they bake are accepted. `store`, when given,
  // must outlive the assembly.
  BakedTensorAssembly(onnx::ModelProto* model, absl::Span<const TensorConfigSpec> specs,
                      const TensorStore* store = nullptr);

  // True when a successful bake rewrites the parameter of `spec`: its state is
  // ACTIVATED or PASSIVE (IsBakeable) and its variable is a parameter of the model,
  // as ConfigResolver picks the configs to bake.
  bool Bakes(const TensorConfigSpec& spec) const;

  // Appends the chunk's data to its tensor, or writes it into the store that holds
  // the tensor. INTERNAL (see MalformedReply) for a name that is no parameter of
  // the model or a parameter no spec bakes, an element type, dims or total size
  // other than the parameter's, or data that does not continue the tensor or runs
  // past its end; the store's error for a write that fails.
  absl::Status Add(const v1::TensorChunk& chunk);

  // The parameter `name` once every byte of it has arrived; nullopt before.
  std::optional<WholeTensor> Whole(absl::string_view name) const;
  // The parameter `name` as the model holds it (as Whole would give it once
  // baked); nullopt when it is no parameter the specs bake, or its dims do not
  // count its elements.
  std::optional<WholeTensor> AsRequested(absl::string_view name) const;

  // Writes every assembled tensor the store does not hold into the model, once.
  // INTERNAL, with the model unchanged, when a tensor is not whole or its stored
  // data does not hold the element count its dims need.
  absl::Status WriteInto();

 private:
  struct Assembled {
    onnx::TensorProto* tensor = nullptr;
    bool stored = false;  // the store holds it: its bytes went there
    uint64_t total_bytes = 0;
    uint64_t received = 0;
    std::string bytes;  // unless stored: raw, little-endian, in the tensor's element type

    bool whole() const { return received == total_bytes; }
  };

  // The assembly of parameter `name`, started empty at its first chunk.
  absl::StatusOr<Assembled*> Find(const std::string& name);

  GraphIndex index_;
  const TensorStore* store_;
  absl::flat_hash_set<std::string> baked_;  // the parameters the specs bake
  std::map<std::string, Assembled, std::less<>> tensors_;
};

}  // namespace qbake

#endif  // QBAKE_CLIENT_BAKED_TENSOR_ASSEMBLY_H_
