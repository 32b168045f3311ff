#include "tests/fuzz/structured_mutator.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.pb.h"

namespace qbake::fuzz {
namespace {

using Random = std::minstd_rand;

constexpr int64_t kDims[] = {0,
                             1,
                             2,
                             3,
                             8,
                             16,
                             -1,
                             -7,
                             std::numeric_limits<int32_t>::max(),
                             int64_t{1} << 31,
                             (int64_t{1} << 32) + 1,
                             int64_t{1} << 62,
                             std::numeric_limits<int64_t>::max(),
                             std::numeric_limits<int64_t>::min()};

const double kNumbers[] = {0,
                           -0.0,
                           1,
                           -1,
                           0.5,
                           2,
                           3,
                           127,
                           -128,
                           255,
                           65535,
                           16777217,
                           2147483647.0,
                           -2147483648.0,
                           FLT_MAX,
                           -FLT_MAX,
                           3.4028235677973366e38,  // just above FLT_MAX: not a float32
                           1e38,
                           3e38,
                           -3e38,
                           FLT_MIN,
                           FLT_TRUE_MIN,
                           1e-45,
                           DBL_MAX,
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::quiet_NaN()};

const char* const kExternalKeys[] = {"location", "offset", "length", "checksum", ""};
const char* const kExternalValues[] = {
    "w.bin", "",   "../outside.bin", "/absolute.bin",       "qbake-stream-blob",    "0", "1",
    "48",    "-1", "4294967296",     "9223372036854775807", "18446744073709551615", "x"};
const char* const kConstantAttributes[] = {"value",       "value_float", "value_floats",
                                           "value_int",   "value_ints",  "value_string",
                                           "sparse_value"};

template <typename T, size_t N>
const T& Pick(const T (&values)[N], Random& random) {
  return values[random() % N];
}

size_t Below(size_t bound, Random& random) { return bound == 0 ? 0 : random() % bound; }

// Every tensor a bake may touch: initializers and Constant nodes' tensor attributes.
std::vector<onnx::TensorProto*> Tensors(onnx::ModelProto* model) {
  std::vector<onnx::TensorProto*> tensors;
  onnx::GraphProto* graph = model->mutable_graph();
  for (onnx::TensorProto& tensor : *graph->mutable_initializer()) tensors.push_back(&tensor);
  for (onnx::NodeProto& node : *graph->mutable_node()) {
    for (onnx::AttributeProto& attribute : *node.mutable_attribute()) {
      if (attribute.has_t()) tensors.push_back(attribute.mutable_t());
    }
  }
  return tensors;
}

// A name a request already uses: a tensor's, a config's variable, or "".
std::string SomeName(const v1::BakeRequest& request, const std::vector<onnx::TensorProto*>& tensors,
                     Random& random) {
  const size_t choice = Below(tensors.size() + request.configs_size() + 1, random);
  if (choice < tensors.size()) return tensors[choice]->name();
  if (choice < tensors.size() + request.configs_size()) {
    return request.configs(static_cast<int>(choice - tensors.size())).variable();
  }
  return "";
}

void MutateDims(onnx::TensorProto* tensor, Random& random) {
  switch (random() % 3) {
    case 0:
      tensor->add_dims(Pick(kDims, random));
      break;
    case 1:
      if (tensor->dims_size() > 0) tensor->mutable_dims()->RemoveLast();
      break;
    default:
      if (tensor->dims_size() == 0) tensor->add_dims(0);
      tensor->set_dims(static_cast<int>(Below(tensor->dims_size(), random)), Pick(kDims, random));
  }
}

// Moves the tensor's values between raw_data and the typed fields, or damages them.
void MutateStorage(onnx::TensorProto* tensor, Random& random) {
  std::vector<float> values(tensor->raw_data().size() / sizeof(float));
  if (!values.empty()) std::memcpy(values.data(), tensor->raw_data().data(), values.size() * 4);
  switch (random() % 6) {
    case 0:  // raw_data as float_data
      tensor->clear_raw_data();
      for (float value : values) tensor->add_float_data(value);
      break;
    case 1:  // raw_data's words in int32_data (where float16 and int8 are stored)
      tensor->clear_raw_data();
      for (float value : values) {
        int32_t word = 0;
        std::memcpy(&word, &value, sizeof word);
        tensor->add_int32_data(word);
      }
      break;
    case 2:  // both raw_data and a typed field
      tensor->add_float_data(static_cast<float>(Pick(kNumbers, random)));
      break;
    case 3:  // nothing at all
      tensor->clear_raw_data();
      tensor->clear_float_data();
      tensor->clear_int32_data();
      tensor->clear_int64_data();
      tensor->clear_double_data();
      break;
    case 4:  // a byte short or over
      tensor->mutable_raw_data()->resize(Below(tensor->raw_data().size() + 5, random));
      break;
    default:  // other typed fields
      tensor->add_double_data(Pick(kNumbers, random));
      tensor->add_int64_data(Pick(kDims, random));
  }
}

void MutateExternal(onnx::TensorProto* tensor, Random& random) {
  tensor->set_data_location(random() % 4 == 0 ? onnx::TensorProto::DEFAULT
                                              : onnx::TensorProto::EXTERNAL);
  if (random() % 3 == 0) tensor->clear_external_data();
  if (random() % 3 == 0) tensor->clear_raw_data();
  const size_t entries = 1 + Below(3, random);
  for (size_t i = 0; i < entries; ++i) {
    onnx::StringStringEntryProto* entry = tensor->add_external_data();
    entry->set_key(Pick(kExternalKeys, random));
    entry->set_value(Pick(kExternalValues, random));
  }
}

// A Constant node producing `output`, with one attribute, of the right type or not.
void AddConstant(onnx::ModelProto* model, const std::string& output,
                 const std::vector<onnx::TensorProto*>& tensors, Random& random) {
  onnx::NodeProto* node = model->mutable_graph()->add_node();
  node->set_op_type("Constant");
  node->set_name(output.empty() ? "" : output + "_constant");
  node->add_output(output);
  onnx::AttributeProto* attribute = node->add_attribute();
  attribute->set_name(Pick(kConstantAttributes, random));
  switch (random() % 6) {
    case 0:
      attribute->set_type(onnx::AttributeProto::TENSOR);
      if (!tensors.empty()) *attribute->mutable_t() = *tensors[Below(tensors.size(), random)];
      attribute->mutable_t()->set_name(random() % 2 == 0 ? "" : output);
      break;
    case 1:
      attribute->set_type(onnx::AttributeProto::FLOAT);
      attribute->set_f(static_cast<float>(Pick(kNumbers, random)));
      break;
    case 2:
      attribute->set_type(onnx::AttributeProto::FLOATS);
      for (size_t i = Below(20, random); i > 0; --i) {
        attribute->add_floats(static_cast<float>(Pick(kNumbers, random)));
      }
      break;
    case 3:
      attribute->set_type(onnx::AttributeProto::INT);
      attribute->set_i(Pick(kDims, random));
      break;
    case 4:
      attribute->set_type(onnx::AttributeProto::INTS);
      for (size_t i = Below(20, random); i > 0; --i) attribute->add_ints(Pick(kDims, random));
      break;
    default:  // a type that does not match the attribute's name
      attribute->set_type(static_cast<onnx::AttributeProto::AttributeType>(Below(15, random)));
      attribute->set_s("constant");
  }
}

void MutateModel(const v1::BakeRequest& request, onnx::ModelProto* model, Random& random) {
  const std::vector<onnx::TensorProto*> tensors = Tensors(model);
  if (tensors.empty() || random() % 5 == 0) {
    AddConstant(model, SomeName(request, tensors, random), tensors, random);
    return;
  }
  onnx::TensorProto* tensor = tensors[Below(tensors.size(), random)];
  switch (random() % 6) {
    case 0:
      MutateDims(tensor, random);
      break;
    case 1:
      tensor->set_data_type(static_cast<int32_t>(Below(24, random)));
      break;
    case 2:
      MutateStorage(tensor, random);
      break;
    case 3:
      MutateExternal(tensor, random);
      break;
    case 4:
      tensor->set_name(SomeName(request, tensors, random));
      break;
    default:  // a second tensor of the same name
      *model->mutable_graph()->add_initializer() = *tensor;
  }
}

// Sets one field of `config`, any type, to an extreme, through reflection.
void MutateConfig(v1::TensorQuantConfig* config, const std::vector<onnx::TensorProto*>& tensors,
                  Random& random) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Descriptor* descriptor = config->GetDescriptor();
  const google::protobuf::Reflection* reflection = config->GetReflection();
  const FieldDescriptor* field =
      descriptor->field(static_cast<int>(Below(descriptor->field_count(), random)));
  const double number = Pick(kNumbers, random);
  const int64_t integer =
      random() % 2 == 0 ? Pick(kDims, random) : static_cast<int64_t>(Below(40, random)) - 8;
  if (field->is_repeated()) {  // scale and zero_point, both float
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_FLOAT) return;
    const int size = reflection->FieldSize(*config, field);
    if (size > 0 && random() % 2 == 0) {
      reflection->SetRepeatedFloat(config, field, static_cast<int>(Below(size, random)),
                                   static_cast<float>(number));
    } else if (random() % 4 == 0) {
      reflection->ClearField(config, field);
    } else {
      reflection->AddFloat(config, field, static_cast<float>(number));
    }
    return;
  }
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_DOUBLE:
      reflection->SetDouble(config, field, number);
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      reflection->SetFloat(config, field, static_cast<float>(number));
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      reflection->SetInt32(config, field, static_cast<int32_t>(integer));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      reflection->SetUInt32(config, field,
                            random() % 2 == 0 ? static_cast<uint32_t>(integer)
                                              : config->policy() ^ (1u << Below(9, random)));
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      reflection->SetEnumValue(config, field, static_cast<int>(Below(12, random)) - 1);
      break;
    case FieldDescriptor::CPPTYPE_STRING:
      reflection->SetString(config, field,
                            tensors.empty() ? "" : tensors[Below(tensors.size(), random)]->name());
      break;
    default:
      reflection->ClearField(config, field);
  }
}

// libFuzzer's own mutation of `bytes`, within `max_size`.
void MutateBytes(std::string* bytes, size_t max_size, ByteMutator byte_mutator) {
  const size_t size = bytes->size();
  bytes->resize(std::max(size, max_size));
  bytes->resize(byte_mutator(reinterpret_cast<uint8_t*>(bytes->data()), size, bytes->size()));
}

}  // namespace

size_t MutateBakeRequest(uint8_t* data, size_t size, size_t max_size, unsigned seed,
                         ByteMutator byte_mutator) {
  Random random(seed);
  v1::BakeRequest request;
  if (random() % 8 == 0 || !request.ParseFromArray(data, static_cast<int>(size))) {
    return byte_mutator(data, size, max_size);
  }
  onnx::ModelProto model;
  const bool model_parses = model.ParseFromString(request.model());
  const size_t choice = random() % 8;
  if (!model_parses || choice == 0) {
    MutateBytes(request.mutable_model(), max_size / 2, byte_mutator);
  } else if (choice <= 4 || request.configs_size() == 0) {
    MutateModel(request, &model, random);
    model.SerializeToString(request.mutable_model());
  } else {
    const std::vector<onnx::TensorProto*> tensors = Tensors(&model);
    MutateConfig(request.mutable_configs(static_cast<int>(Below(request.configs_size(), random))),
                 tensors, random);
  }
  const std::string bytes = request.SerializeAsString();
  if (bytes.size() > max_size) return size;  // no room: left as it was
  std::memcpy(data, bytes.data(), bytes.size());
  return bytes.size();
}

}  // namespace qbake::fuzz
