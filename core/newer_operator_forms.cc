#include "core/newer_operator_forms.h"

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace qbake {
namespace {

// The opset in which each operator took its inputs form.
constexpr int64_t kClipInputsOpset = 11;
constexpr int64_t kSliceInputsOpset = 10;

// The constant tensors of a graph: initializers and Constant nodes' `value`s.
class Constants {
 public:
  explicit Constants(const onnx::GraphProto& graph) {
    for (const auto& tensor : graph.initializer()) tensors_.emplace(tensor.name(), &tensor);
    for (const auto& node : graph.node()) {
      if (node.op_type() != "Constant" || node.output_size() != 1) continue;
      for (const auto& attribute : node.attribute()) {
        if (attribute.name() == "value" && attribute.has_t()) {
          tensors_.emplace(node.output(0), &attribute.t());
        }
      }
    }
  }
  const onnx::TensorProto* Find(const std::string& name) const {
    auto found = tensors_.find(name);
    return found == tensors_.end() ? nullptr : found->second;
  }

 private:
  absl::flat_hash_map<std::string, const onnx::TensorProto*> tensors_;
};

absl::Status NotConstant(const onnx::NodeProto& node, const std::string& input,
                         absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat(node.op_type(), " node '", node.name(), "' is written in a form newer than ",
                   "the model's opset, and its input '", input, "' is not ", what));
}

std::optional<std::vector<int64_t>> Integers(const onnx::TensorProto& tensor) {
  std::vector<int64_t> values;
  if (tensor.data_type() == onnx::TensorProto::INT64) {
    if (tensor.has_raw_data()) {
      values.resize(tensor.raw_data().size() / 8);
      std::memcpy(values.data(), tensor.raw_data().data(), values.size() * 8);
    } else {
      values.assign(tensor.int64_data().begin(), tensor.int64_data().end());
    }
  } else if (tensor.data_type() == onnx::TensorProto::INT32) {
    if (tensor.has_raw_data()) {
      std::vector<int32_t> narrow(tensor.raw_data().size() / 4);
      std::memcpy(narrow.data(), tensor.raw_data().data(), narrow.size() * 4);
      values.assign(narrow.begin(), narrow.end());
    } else {
      values.assign(tensor.int32_data().begin(), tensor.int32_data().end());
    }
  } else {
    return std::nullopt;
  }
  return values;
}

std::optional<float> Scalar(const onnx::TensorProto& tensor) {
  if (tensor.data_type() != onnx::TensorProto::FLOAT) return std::nullopt;
  float value;
  if (tensor.has_raw_data() && tensor.raw_data().size() == sizeof value) {
    std::memcpy(&value, tensor.raw_data().data(), sizeof value);
    return value;
  }
  if (!tensor.has_raw_data() && tensor.float_data_size() == 1) return tensor.float_data(0);
  return std::nullopt;
}

void AddFloatAttribute(onnx::NodeProto* node, const std::string& name, float value) {
  onnx::AttributeProto* attribute = node->add_attribute();
  attribute->set_name(name);
  attribute->set_type(onnx::AttributeProto::FLOAT);
  attribute->set_f(value);
}

void AddIntsAttribute(onnx::NodeProto* node, const std::string& name,
                      const std::vector<int64_t>& values) {
  onnx::AttributeProto* attribute = node->add_attribute();
  attribute->set_name(name);
  attribute->set_type(onnx::AttributeProto::INTS);
  for (int64_t value : values) attribute->add_ints(value);
}

// Clip(x, min, max) -> Clip(x) with attributes min, max.
absl::Status LowerClip(onnx::NodeProto* node, const Constants& constants) {
  static const char* const kNames[] = {"min", "max"};
  for (int i = 1; i < node->input_size() && i < 3; ++i) {
    if (node->input(i).empty()) continue;
    const onnx::TensorProto* tensor = constants.Find(node->input(i));
    const std::optional<float> value = tensor ? Scalar(*tensor) : std::nullopt;
    if (!value) return NotConstant(*node, node->input(i), "a constant float32 scalar");
    AddFloatAttribute(node, kNames[i - 1], *value);
  }
  node->mutable_input()->DeleteSubrange(1, node->input_size() - 1);
  return absl::OkStatus();
}

// Slice(data, starts, ends, axes, steps) -> Slice(data) with attributes.
absl::Status LowerSlice(onnx::NodeProto* node, const Constants& constants) {
  static const char* const kNames[] = {"starts", "ends", "axes", "steps"};
  for (int i = 1; i < node->input_size() && i < 5; ++i) {
    if (node->input(i).empty()) continue;
    const onnx::TensorProto* tensor = constants.Find(node->input(i));
    const std::optional<std::vector<int64_t>> values = tensor ? Integers(*tensor) : std::nullopt;
    if (!values) return NotConstant(*node, node->input(i), "a constant INT32 or INT64 tensor");
    if (i == 4) {
      for (int64_t step : *values) {
        if (step != 1) return NotConstant(*node, node->input(i), "all ones (steps)");
      }
      continue;
    }
    AddIntsAttribute(node, kNames[i - 1], *values);
  }
  node->mutable_input()->DeleteSubrange(1, node->input_size() - 1);
  return absl::OkStatus();
}

// Removes the initializers named in `candidates` that no node reads any more.
void DropUnread(onnx::GraphProto* graph, const absl::flat_hash_set<std::string>& candidates) {
  absl::flat_hash_set<std::string> read;
  for (const auto& node : graph->node()) read.insert(node.input().begin(), node.input().end());
  for (const auto& output : graph->output()) read.insert(output.name());
  auto* initializers = graph->mutable_initializer();
  for (int i = initializers->size() - 1; i >= 0; --i) {
    const std::string& name = initializers->Get(i).name();
    if (candidates.contains(name) && !read.contains(name)) initializers->DeleteSubrange(i, 1);
  }
}

}  // namespace

absl::Status LowerNewerOperatorForms(onnx::GraphProto* graph, int64_t opset) {
  const Constants constants(*graph);
  absl::flat_hash_set<std::string> lowered_inputs;
  for (auto& node : *graph->mutable_node()) {
    if (!node.domain().empty() && node.domain() != "ai.onnx") continue;
    const bool clip = node.op_type() == "Clip" && opset < kClipInputsOpset;
    const bool slice = node.op_type() == "Slice" && opset < kSliceInputsOpset;
    if ((!clip && !slice) || node.input_size() < 2) continue;
    lowered_inputs.insert(node.input().begin() + 1, node.input().end());
    absl::Status status = clip ? LowerClip(&node, constants) : LowerSlice(&node, constants);
    if (!status.ok()) return status;
  }
  DropUnread(graph, lowered_inputs);
  return absl::OkStatus();
}

}  // namespace qbake
