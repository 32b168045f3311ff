#include "tests/support/model_parameters.h"

namespace qbake::testing {

std::vector<std::pair<std::string, onnx::TensorProto*>> Parameters(onnx::ModelProto* model) {
  std::vector<std::pair<std::string, onnx::TensorProto*>> parameters;
  onnx::GraphProto* graph = model->mutable_graph();
  for (onnx::TensorProto& tensor : *graph->mutable_initializer()) {
    parameters.emplace_back(tensor.name(), &tensor);
  }
  for (onnx::NodeProto& node : *graph->mutable_node()) {
    for (onnx::AttributeProto& attribute : *node.mutable_attribute()) {
      if (node.op_type() == "Constant" && attribute.name() == "value") {
        parameters.emplace_back(node.output(0), attribute.mutable_t());
      }
    }
  }
  return parameters;
}

std::string MakeExternal(onnx::TensorProto* tensor,
                         std::vector<std::pair<std::string, std::string>> entries) {
  std::string bytes = tensor->raw_data();
  tensor->clear_raw_data();
  tensor->set_data_location(onnx::TensorProto::EXTERNAL);
  for (const auto& [key, value] : entries) {
    onnx::StringStringEntryProto* entry = tensor->add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  }
  return bytes;
}

std::map<std::string, std::string> ExternalEntries(const onnx::TensorProto& tensor) {
  std::map<std::string, std::string> entries;
  for (const onnx::StringStringEntryProto& entry : tensor.external_data()) {
    entries[entry.key()] = entry.value();
  }
  return entries;
}

}  // namespace qbake::testing
