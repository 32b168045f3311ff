#include "core/model_tensors.h"

#include "absl/strings/str_cat.h"

namespace qbake {
namespace {

void CollectGraph(onnx::GraphProto* graph, std::vector<OwnedTensor>* tensors);

void CollectSparse(onnx::SparseTensorProto* sparse, const std::string& owner,
                   std::vector<OwnedTensor>* tensors) {
  if (sparse->has_values()) tensors->push_back({sparse->mutable_values(), owner});
  if (sparse->has_indices()) tensors->push_back({sparse->mutable_indices(), owner});
}

void CollectAttribute(onnx::AttributeProto* attribute, const onnx::NodeProto& node,
                      std::vector<OwnedTensor>* tensors) {
  const std::string owner =
      absl::StrCat("attribute '", attribute->name(), "' of node '", node.name(), "'");
  if (attribute->has_t()) tensors->push_back({attribute->mutable_t(), owner});
  for (onnx::TensorProto& tensor : *attribute->mutable_tensors()) {
    tensors->push_back({&tensor, owner});
  }
  if (attribute->has_sparse_tensor()) {
    CollectSparse(attribute->mutable_sparse_tensor(), owner, tensors);
  }
  for (onnx::SparseTensorProto& sparse : *attribute->mutable_sparse_tensors()) {
    CollectSparse(&sparse, owner, tensors);
  }
  if (attribute->has_g()) CollectGraph(attribute->mutable_g(), tensors);
  for (onnx::GraphProto& graph : *attribute->mutable_graphs()) CollectGraph(&graph, tensors);
}

void CollectGraph(onnx::GraphProto* graph, std::vector<OwnedTensor>* tensors) {
  const std::string owner = absl::StrCat("graph '", graph->name(), "'");
  for (onnx::TensorProto& tensor : *graph->mutable_initializer()) {
    tensors->push_back({&tensor, owner});
  }
  for (onnx::SparseTensorProto& sparse : *graph->mutable_sparse_initializer()) {
    CollectSparse(&sparse, owner, tensors);
  }
  for (onnx::NodeProto& node : *graph->mutable_node()) {
    for (onnx::AttributeProto& attribute : *node.mutable_attribute()) {
      CollectAttribute(&attribute, node, tensors);
    }
  }
}

}  // namespace

std::vector<OwnedTensor> CollectModelTensors(onnx::GraphProto* graph) {
  std::vector<OwnedTensor> tensors;
  CollectGraph(graph, &tensors);
  return tensors;
}

std::string TensorLabel(const OwnedTensor& owned) {
  const std::string& name = owned.tensor->name();
  return name.empty() ? absl::StrCat("unnamed tensor in ", owned.owner)
                      : absl::StrCat("tensor '", name, "'");
}

}  // namespace qbake
