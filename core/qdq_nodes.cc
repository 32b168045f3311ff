#include "core/qdq_nodes.h"

#include <cstring>
#include <utility>

namespace qbake {

onnx::NodeProto QdqNode(const std::string& op_type, const std::string& name,
                        const std::vector<std::string>& inputs, const std::string& output,
                        const std::optional<int>& axis) {
  onnx::NodeProto node;
  node.set_name(name);
  node.set_op_type(op_type);
  for (const std::string& input : inputs) node.add_input(input);
  node.add_output(output);
  if (axis) {
    onnx::AttributeProto* attribute = node.add_attribute();
    attribute->set_name("axis");
    attribute->set_type(onnx::AttributeProto::INT);
    attribute->set_i(*axis);
  }
  return node;
}

void AddQdqInitializer(onnx::GraphProto* graph, const std::string& name, int32_t data_type,
                       const std::optional<int>& axis, size_t count, std::string raw_data) {
  onnx::TensorProto* tensor = graph->add_initializer();
  tensor->set_name(name);
  tensor->set_data_type(data_type);
  if (axis) tensor->add_dims(static_cast<int64_t>(count));
  tensor->set_raw_data(std::move(raw_data));
}

std::string FloatsRawData(absl::Span<const float> values) {
  std::string raw(values.size() * sizeof(float), '\0');
  std::memcpy(raw.data(), values.data(), raw.size());  // little-endian hosts
  return raw;
}

}  // namespace qbake
