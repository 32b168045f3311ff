#include "core/opset_upgrade.h"

#include <algorithm>
#include <exception>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/graph_names.h"
#include "core/model_tensors.h"
#include "core/newer_operator_forms.h"
#include "onnx/defs/schema.h"
#include "onnx/version_converter/convert.h"

namespace qbake {
namespace {

// The newest opset Debian's libonnx 1.12 converts to.
constexpr int64_t kNewestConverterOpset = 17;

bool IsDefaultDomain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

onnx::OperatorSetIdProto* DefaultImport(onnx::ModelProto* model) {
  for (auto& import : *model->mutable_opset_import()) {
    if (IsDefaultDomain(import.domain())) return &import;
  }
  return nullptr;
}

int64_t IrVersionFor(int64_t opset) {
  if (opset >= 19) return 9;
  if (opset >= 15) return 8;
  return 7;
}

// RaiseOpset works on a copy of the model's structure (so that the model is
// unchanged on error), and ONNX's converter copies it into its own graph form and
// back. The bytes of large tensors, which neither changes nor reads (adapters read
// small shape and size constants), wait outside meanwhile, by tensor name (names
// used once only).
class LargeDataAside {
 public:
  explicit LargeDataAside(onnx::ModelProto* model) {
    absl::flat_hash_map<std::string, int> uses;
    const std::vector<OwnedTensor> tensors = CollectModelTensors(model->mutable_graph());
    for (const OwnedTensor& owned : tensors) ++uses[owned.tensor->name()];
    for (const OwnedTensor& owned : tensors) {
      onnx::TensorProto* tensor = owned.tensor;
      if (tensor->raw_data().size() < kMinBytes || uses[tensor->name()] != 1) continue;
      aside_[tensor->name()].swap(*tensor->mutable_raw_data());
    }
  }

  // Gives each tensor of `model` whose name was set aside its bytes back.
  void Restore(onnx::ModelProto* model) {
    for (const OwnedTensor& owned : CollectModelTensors(model->mutable_graph())) {
      auto found = aside_.find(owned.tensor->name());
      if (found != aside_.end()) owned.tensor->mutable_raw_data()->swap(found->second);
    }
  }

 private:
  static constexpr size_t kMinBytes = 64 << 10;
  absl::flat_hash_map<std::string, std::string> aside_;
};

// Every name a graph or its subgraphs define: inputs, initializers, node outputs.
void CollectDefined(const onnx::GraphProto& graph, absl::flat_hash_set<std::string>* defined) {
  for (const auto& value : graph.input()) defined->insert(value.name());
  for (const auto& tensor : graph.initializer()) defined->insert(tensor.name());
  for (const auto& node : graph.node()) {
    defined->insert(node.output().begin(), node.output().end());
    for (const auto& attribute : node.attribute()) {
      if (attribute.has_g()) CollectDefined(attribute.g(), defined);
      for (const auto& subgraph : attribute.graphs()) CollectDefined(subgraph, defined);
    }
  }
}

// The first name that `graph` (or a subgraph) reads as a node input or returns as a
// graph output and that nothing in the model defines, or nullptr.
const std::string* Undefined(const onnx::GraphProto& graph,
                             const absl::flat_hash_set<std::string>& defined) {
  for (const auto& value : graph.output()) {
    if (!defined.contains(value.name())) return &value.name();
  }
  for (const auto& node : graph.node()) {
    for (const std::string& input : node.input()) {
      if (!input.empty() && !defined.contains(input)) return &input;
    }
    for (const auto& attribute : node.attribute()) {
      if (attribute.has_g()) {
        if (const std::string* name = Undefined(attribute.g(), defined)) return name;
      }
      for (const auto& subgraph : attribute.graphs()) {
        if (const std::string* name = Undefined(subgraph, defined)) return name;
      }
    }
  }
  return nullptr;
}

// ONNX's converter reads the model into its own graph form without checking that
// what a graph reads or returns is defined (a graph output that nothing made crashed
// it: a fuzzer finding), so a model goes to it only once that holds.
// The first top-level node of the default domain whose operator ONNX's registry does
// not hold at `opset` (the converter then fails inside its own lookups); null when
// none.
const onnx::NodeProto* UnknownOperator(const onnx::GraphProto& graph, int64_t opset) {
  for (const onnx::NodeProto& node : graph.node()) {
    if (!IsDefaultDomain(node.domain())) continue;
    if (onnx::OpSchemaRegistry::Schema(node.op_type(), static_cast<int>(opset), "") == nullptr) {
      return &node;
    }
  }
  return nullptr;
}

absl::Status CheckConvertible(const onnx::ModelProto& model, int64_t from, int64_t to) {
  const std::string cannot = absl::StrCat("cannot raise the model's opset from ", from, " to ", to);
  absl::flat_hash_set<std::string> defined;
  CollectDefined(model.graph(), &defined);
  if (const std::string* name = Undefined(model.graph(), defined)) {
    return absl::FailedPreconditionError(
        absl::StrCat(cannot, ": '", *name,
                     "' is read or returned but defined by no input, initializer or node"));
  }
  if (const onnx::NodeProto* node = UnknownOperator(model.graph(), from)) {
    return absl::FailedPreconditionError(
        absl::StrCat(cannot, ": operation '", node->name(), "' is a '", node->op_type(),
                     "', which is no ONNX operator of opset ", from));
  }
  return absl::OkStatus();
}

absl::Status Convert(onnx::ModelProto* model, int64_t from, int64_t to) {
  absl::Status convertible = CheckConvertible(*model, from, to);
  if (!convertible.ok()) return convertible;
  try {
    *model = onnx::version_conversion::ConvertVersion(*model, static_cast<int>(to));
  } catch (const std::exception& error) {
    return absl::FailedPreconditionError(
        absl::StrCat("ONNX's version converter cannot raise the model's opset from ", from, " to ",
                     to, ": ", error.what()));
  }
  return absl::OkStatus();
}

// Opset 18 made the `axes` of these operators an optional second input.
bool TakesAxesAsInputFrom18(const std::string& op_type) {
  static const absl::flat_hash_set<std::string> kReduces = {
      "ReduceL1",   "ReduceL2",  "ReduceLogSum", "ReduceLogSumExp", "ReduceMax",
      "ReduceMean", "ReduceMin", "ReduceProd",   "ReduceSumSquare"};
  return kReduces.contains(op_type);
}

// Moves a Reduce node's `axes` attribute into an INT64 initializer of `top`.
void AxesAttributeToInput(onnx::NodeProto* node, onnx::GraphProto* top, GraphNames* names) {
  auto* attributes = node->mutable_attribute();
  auto axes = std::find_if(attributes->begin(), attributes->end(),
                           [](const onnx::AttributeProto& a) { return a.name() == "axes"; });
  if (axes == attributes->end()) return;
  onnx::TensorProto* tensor = top->add_initializer();
  tensor->set_name(
      names->Claim(absl::StrCat(node->name().empty() ? node->op_type() : node->name(), "_axes")));
  tensor->set_data_type(onnx::TensorProto::INT64);
  tensor->add_dims(axes->ints_size());
  for (int64_t axis : axes->ints()) tensor->add_int64_data(axis);
  if (node->input_size() == 0) node->add_input("");
  node->add_input(tensor->name());
  attributes->erase(axes);
}

void AdaptTo18(onnx::GraphProto* graph, onnx::GraphProto* top, GraphNames* names) {
  for (auto& node : *graph->mutable_node()) {
    if (IsDefaultDomain(node.domain()) && TakesAxesAsInputFrom18(node.op_type())) {
      AxesAttributeToInput(&node, top, names);
    }
    for (auto& attribute : *node.mutable_attribute()) {
      if (attribute.has_g()) AdaptTo18(attribute.mutable_g(), top, names);
      for (auto& subgraph : *attribute.mutable_graphs()) AdaptTo18(&subgraph, top, names);
    }
  }
}

// RaiseOpset's work on a copy of `model`'s structure, moved into `model` on success.
absl::Status Raise(onnx::ModelProto* model, int64_t current, int64_t target) {
  onnx::ModelProto raised = *model;
  const int64_t converted = std::min(target, kNewestConverterOpset);
  if (current < converted) {
    absl::Status status = LowerNewerOperatorForms(raised.mutable_graph(), current);
    if (status.ok()) status = Convert(&raised, current, converted);
    if (!status.ok()) return status;
  }
  if (target > kNewestConverterOpset && std::max(current, converted) < 18) {
    GraphNames names(raised.graph());
    AdaptTo18(raised.mutable_graph(), raised.mutable_graph(), &names);
  }
  DefaultImport(&raised)->set_version(target);
  raised.set_ir_version(std::max<int64_t>(raised.ir_version(), IrVersionFor(target)));
  *model = std::move(raised);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int64_t> DefaultOpset(const onnx::ModelProto& model) {
  for (const auto& import : model.opset_import()) {
    if (IsDefaultDomain(import.domain())) return import.version();
  }
  return absl::InvalidArgumentError("the model imports no ai.onnx opset");
}

absl::Status RaiseOpset(onnx::ModelProto* model, int64_t target) {
  absl::StatusOr<int64_t> current = DefaultOpset(*model);
  if (!current.ok()) return current.status();
  if (*current >= target) return absl::OkStatus();
  LargeDataAside aside(model);
  absl::Status raised = Raise(model, *current, target);
  aside.Restore(model);
  return raised;
}

}  // namespace qbake
