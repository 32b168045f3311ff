// Every TensorProto an ONNX model holds, wherever it sits: initializers, sparse
// initializers (values and indices), node attributes (tensors and sparse tensors),
// and the same inside every subgraph attribute, in a fixed order, each with a label
// that names it in messages.
#ifndef QBAKE_CORE_MODEL_TENSORS_H_
#define QBAKE_CORE_MODEL_TENSORS_H_

#include <string>
#include <vector>

#include "onnx/onnx_pb.h"

namespace qbake {

// A tensor of the model and what holds it.
struct OwnedTensor {
  onnx::TensorProto* tensor = nullptr;
  std::string owner;  // "graph 'G'", "attribute 'value' of node 'N'"
};

// Pointers into `graph`; valid while its structure is unchanged.
std::vector<OwnedTensor> CollectModelTensors(onnx::GraphProto* graph);

// How messages name the tensor: "tensor 'W'", or "unnamed tensor in OWNER".
std::string TensorLabel(const OwnedTensor& owned);

}  // namespace qbake

#endif  // QBAKE_CORE_MODEL_TENSORS_H_
