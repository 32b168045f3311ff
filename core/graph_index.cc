#include "core/graph_index.h"

namespace qbake {
namespace {

// The tensor a Constant node holds in its `value` attribute, or nullptr when the node
// is not a Constant or holds its value in another attribute (value_float, ...).
onnx::TensorProto* ConstantValue(onnx::NodeProto* node) {
  if (node->op_type() != "Constant" || node->output_size() == 0) return nullptr;
  for (onnx::AttributeProto& attribute : *node->mutable_attribute()) {
    if (attribute.name() == "value" && attribute.has_t()) return attribute.mutable_t();
  }
  return nullptr;
}

}  // namespace

GraphIndex::GraphIndex(onnx::GraphProto* graph) {
  auto add_parameter = [this](const std::string& name, onnx::TensorProto* tensor,
                              bool in_constant_node) {
    if (name.empty()) return;
    parameters_.try_emplace(name, ParameterRef{name, tensor, in_constant_node, {}});
  };
  for (onnx::TensorProto& initializer : *graph->mutable_initializer()) {
    add_parameter(initializer.name(), &initializer, false);
  }
  for (onnx::NodeProto& node : *graph->mutable_node()) {
    if (!node.name().empty()) nodes_.try_emplace(node.name(), &node);
    if (onnx::TensorProto* value = ConstantValue(&node)) {
      add_parameter(node.output(0), value, true);
    }
  }
  // Consumers are collected once every parameter is known: a Constant node may come
  // after the node that reads it.
  for (const onnx::NodeProto& node : graph->node()) {
    for (const std::string& input : node.input()) {
      if (ParameterRef* parameter = FindParameter(input)) {
        parameter->consumers.push_back(&node);
      }
    }
  }
}

const onnx::NodeProto* GraphIndex::FindNode(absl::string_view name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : it->second;
}

ParameterRef* GraphIndex::FindParameter(absl::string_view name) {
  auto it = parameters_.find(name);
  return it == parameters_.end() ? nullptr : &it->second;
}

const ParameterRef* GraphIndex::FindParameter(absl::string_view name) const {
  auto it = parameters_.find(name);
  return it == parameters_.end() ? nullptr : &it->second;
}

}  // namespace qbake
