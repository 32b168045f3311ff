#include "tests/support/model_builder.h"

#include <cstring>

#include "core/half_precision.h"

namespace qbake::testing {
namespace {

uint16_t Narrow(int32_t type, float value) {
  return type == onnx::TensorProto::FLOAT16 ? FloatToHalf(value) : FloatToBFloat16(value);
}

void StoreFloats(const std::vector<float>& values, Storage storage, onnx::TensorProto* t) {
  if (storage == Storage::kTyped) {
    for (float v : values) t->add_float_data(v);
    return;
  }
  std::string raw(values.size() * sizeof(float), '\0');
  std::memcpy(raw.data(), values.data(), raw.size());
  t->set_raw_data(raw);
}

void StoreHalves(const std::vector<float>& values, Storage storage, onnx::TensorProto* t) {
  std::string raw;
  for (float v : values) {
    const uint16_t bits = Narrow(t->data_type(), v);
    if (storage == Storage::kTyped) {
      t->add_int32_data(bits);
    } else {
      raw.append(reinterpret_cast<const char*>(&bits), sizeof bits);
    }
  }
  if (storage == Storage::kRaw) t->set_raw_data(raw);
}

}  // namespace

onnx::TensorProto MakeTensor(const std::string& name, const std::vector<int64_t>& dims,
                             const std::vector<float>& values, int32_t type, Storage storage) {
  onnx::TensorProto tensor;
  tensor.set_name(name);
  tensor.set_data_type(type);
  for (int64_t d : dims) tensor.add_dims(d);
  if (values.empty()) return tensor;
  if (type == onnx::TensorProto::FLOAT) {
    StoreFloats(values, storage, &tensor);
  } else {
    StoreHalves(values, storage, &tensor);
  }
  return tensor;
}

ModelBuilder& ModelBuilder::Node(const std::string& op_type, const std::string& name,
                                 const std::vector<std::string>& inputs,
                                 const std::vector<std::string>& outputs) {
  onnx::NodeProto* node = model_.mutable_graph()->add_node();
  node->set_op_type(op_type);
  node->set_name(name);
  for (const auto& input : inputs) node->add_input(input);
  for (const auto& output : outputs) node->add_output(output);
  return *this;
}

ModelBuilder& ModelBuilder::Initializer(const onnx::TensorProto& tensor) {
  *model_.mutable_graph()->add_initializer() = tensor;
  return *this;
}

ModelBuilder& ModelBuilder::Constant(const onnx::TensorProto& tensor) {
  Node("Constant", tensor.name() + "_node", {}, {tensor.name()});
  onnx::AttributeProto* value =
      model_.mutable_graph()->mutable_node(model_.graph().node_size() - 1)->add_attribute();
  value->set_name("value");
  value->set_type(onnx::AttributeProto::TENSOR);
  *value->mutable_t() = tensor;
  return *this;
}

}  // namespace qbake::testing
