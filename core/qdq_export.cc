#include "core/qdq_export.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/config_error.h"
#include "core/config_resolver.h"
#include "core/error_detail.h"
#include "core/graph_index.h"
#include "core/graph_names.h"
#include "core/opset_upgrade.h"
#include "core/parameter_values.h"
#include "core/qdq_nodes.h"
#include "core/weight_integers.h"

namespace qbake {
namespace {

// The opset an 8-bit float DequantizeLinear needs.
constexpr int64_t kFloat8Opset = 19;

// A parameter to store in integer form, found before the graph changes.
struct StoredParameter {
  QdqExportedParameter entry;  // what the report says of it
  std::string name;            // the parameter, and the DequantizeLinear output
  std::optional<int> axis;     // PER_CHANNEL
  std::vector<float> scale;
  WeightIntegers integers;
};

// The stored form of one baked parameter, or the reason it keeps its float values
// (in `reason`). Errors are for data that contradicts the bake.
absl::StatusOr<std::optional<StoredParameter>> StoreParameter(const ResolvedConfig& resolved,
                                                              const ConfigOutcome& outcome,
                                                              const QdqExportOptions& options,
                                                              std::string* reason) {
  const onnx::TensorProto& tensor = *resolved.parameter->tensor;
  if (tensor.data_type() != onnx::TensorProto::FLOAT) {
    *reason = absl::StrCat("a ", onnx::TensorProto::DataType_Name(tensor.data_type()),
                           " parameter: the export stores float32 parameters only");
    return std::nullopt;
  }
  absl::StatusOr<std::vector<float>> baked = ReadParameterValues(tensor);
  if (!baked.ok()) return baked.status();
  const std::vector<int64_t> dims(tensor.dims().begin(), tensor.dims().end());
  absl::StatusOr<WeightIntegers> integers =
      FindWeightIntegers(resolved.config, dims, outcome.scale, outcome.offset, *baked);
  absl::Status usable = integers.status();
  if (usable.ok() && options.float_weights) {
    usable = CheckQuantizeLinearGives(*integers, resolved.config, dims, outcome.scale, *baked);
  }
  if (usable.code() == absl::StatusCode::kFailedPrecondition) {
    *reason = std::string(usable.message());
    return std::nullopt;
  }
  if (!usable.ok()) return usable;
  StoredParameter stored;
  stored.name = resolved.parameter->name;
  if (resolved.config.Has(kPerChannel)) stored.axis = resolved.config.channel_axis;
  stored.scale = outcome.scale;
  stored.integers = *std::move(integers);
  return stored;
}

struct ExportPlan {
  std::vector<StoredParameter> stored;
  QdqExportReport report;
};

absl::StatusOr<ExportPlan> PlanExport(onnx::ModelProto* model,
                                      absl::Span<const TensorConfigSpec> specs,
                                      const BakeOutcome& outcome, const QdqExportOptions& options) {
  GraphIndex graph(model->mutable_graph());
  absl::StatusOr<std::vector<ResolvedConfig>> resolved =
      ConfigResolver(&graph, Rounding::kHalfEven).Resolve(specs);
  if (!resolved.ok()) return resolved.status();
  ExportPlan plan;
  absl::flat_hash_set<std::string> seen;
  for (const ResolvedConfig& config : *resolved) {
    const TensorConfigSpec& spec = specs[config.spec_index];
    if (config.spec_index >= outcome.configs.size() || !outcome.configs[config.spec_index].baked ||
        !seen.insert(config.parameter->name).second) {
      continue;
    }
    std::string reason;
    absl::StatusOr<std::optional<StoredParameter>> stored =
        StoreParameter(config, outcome.configs[config.spec_index], options, &reason);
    if (!stored.ok()) return ConfigSiteError(spec.operation, spec.variable, stored.status());
    if (!stored->has_value()) {
      plan.report.kept_float.push_back({spec.operation, spec.variable, reason});
      continue;
    }
    (*stored)->entry = {spec.operation, spec.variable, (*stored)->integers.data_type,
                        (*stored)->axis.has_value()};
    plan.stored.push_back(**std::move(stored));
  }
  return plan;
}

// Makes `tensor` hold the stored integers under `name`, keeping its dims.
void StoreInto(onnx::TensorProto* tensor, const std::string& name, WeightIntegers* integers) {
  std::vector<int64_t> dims(tensor->dims().begin(), tensor->dims().end());
  std::string doc = tensor->doc_string();
  tensor->Clear();
  tensor->set_name(name);
  for (int64_t dim : dims) tensor->add_dims(dim);
  if (!doc.empty()) tensor->set_doc_string(doc);
  tensor->set_data_type(integers->data_type);
  tensor->set_raw_data(std::move(integers->raw_data));
}

// Where each parameter of a graph lives, by name: an initializer, or else a Constant
// node (the first of each, as GraphIndex chooses). The pointers stay valid while
// initializers are added and nodes are left in place.
class ParameterHomes {
 public:
  explicit ParameterHomes(onnx::GraphProto* graph) {
    for (auto& tensor : *graph->mutable_initializer())
      initializers_.emplace(tensor.name(), &tensor);
    for (auto& node : *graph->mutable_node()) {
      if (node.op_type() == "Constant" && node.output_size() > 0) {
        constants_.emplace(node.output(0), &node);
      }
    }
  }
  onnx::TensorProto* Initializer(const std::string& name) const {
    auto found = initializers_.find(name);
    return found == initializers_.end() ? nullptr : found->second;
  }
  onnx::NodeProto* Constant(const std::string& name) const {
    auto found = constants_.find(name);
    return found == constants_.end() ? nullptr : found->second;
  }

 private:
  absl::flat_hash_map<std::string, onnx::TensorProto*> initializers_;
  absl::flat_hash_map<std::string, onnx::NodeProto*> constants_;
};

void RemoveGraphInputs(onnx::GraphProto* graph, const absl::flat_hash_set<std::string>& names) {
  auto* inputs = graph->mutable_input();
  inputs->erase(
      std::remove_if(inputs->begin(), inputs->end(),
                     [&](const onnx::ValueInfoProto& v) { return names.contains(v.name()); }),
      inputs->end());
}

// Renames the parameter's tensor (an initializer or a Constant node's value) to
// `name`, storing the integers in it unless the floats stay; returns the Constant
// node, or null for an initializer.
const onnx::NodeProto* RenameParameter(const ParameterHomes& homes, StoredParameter* stored,
                                       const std::string& name, bool keep_floats) {
  if (onnx::TensorProto* initializer = homes.Initializer(stored->name)) {
    if (keep_floats) {
      initializer->set_name(name);
    } else {
      StoreInto(initializer, name, &stored->integers);
    }
    return nullptr;
  }
  onnx::NodeProto* constant = homes.Constant(stored->name);
  constant->set_output(0, name);
  for (auto& attribute : *constant->mutable_attribute()) {
    if (attribute.name() != "value") continue;
    if (keep_floats) {
      attribute.mutable_t()->set_name(name);
    } else {
      StoreInto(attribute.mutable_t(), name, &stored->integers);
    }
  }
  return constant;
}

// Rewrites one parameter and returns the nodes that now give its value: a
// DequantizeLinear of its stored integers, or with float_weights a QuantizeLinear of
// its baked floats and that DequantizeLinear. `after` receives the Constant node they
// must follow (null for an initializer).
std::vector<onnx::NodeProto> Rewrite(onnx::GraphProto* graph, const ParameterHomes& homes,
                                     GraphNames* names, bool float_weights, StoredParameter* stored,
                                     const onnx::NodeProto** after) {
  const std::string quantized = names->Claim(stored->name + "_quantized");
  std::vector<std::string> numbers = {names->Claim(stored->name + "_scale")};
  AddQdqInitializer(graph, numbers[0], onnx::TensorProto::FLOAT, stored->axis, stored->scale.size(),
                    FloatsRawData(stored->scale));
  if (!stored->integers.zero_point_raw_data.empty()) {
    numbers.push_back(names->Claim(stored->name + "_zero_point"));
    AddQdqInitializer(graph, numbers[1], stored->integers.data_type, stored->axis,
                      stored->scale.size(), std::move(stored->integers.zero_point_raw_data));
  }
  std::vector<onnx::NodeProto> nodes;
  if (float_weights) {
    const std::string baked = names->Claim(stored->name + "_baked");
    std::vector<std::string> inputs = {baked};
    inputs.insert(inputs.end(), numbers.begin(), numbers.end());
    nodes.push_back(QdqNode("QuantizeLinear", names->Claim(stored->name + "_QuantizeLinear"),
                            inputs, quantized, stored->axis));
    *after = RenameParameter(homes, stored, baked, /*keep_floats=*/true);
  } else {
    *after = RenameParameter(homes, stored, quantized, /*keep_floats=*/false);
  }
  std::vector<std::string> inputs = {quantized};
  inputs.insert(inputs.end(), numbers.begin(), numbers.end());
  nodes.push_back(QdqNode("DequantizeLinear", names->Claim(stored->name + "_DequantizeLinear"),
                          inputs, stored->name, stored->axis));
  return nodes;
}

// Moves to the report's kept floats the parameters the opset conversion took out of
// the graph: the constant inputs of operators PPQ wrote in a newer form, which are
// now attributes holding their baked values (core/newer_operator_forms.h).
void KeepWhatBecameAttributes(const ParameterHomes& homes, ExportPlan* plan) {
  std::vector<StoredParameter> kept;
  for (StoredParameter& stored : plan->stored) {
    if (homes.Initializer(stored.name) != nullptr || homes.Constant(stored.name) != nullptr) {
      kept.push_back(std::move(stored));
      continue;
    }
    plan->report.kept_float.push_back(
        {stored.entry.operation, stored.entry.variable,
         "an input PPQ wrote in a form newer than the model's opset; raising the opset made "
         "it an attribute of its node, holding its baked value"});
  }
  plan->stored = std::move(kept);
}

// Rewrites every stored parameter: the nodes of initializers first, those of a
// Constant right after it.
void RewriteGraph(onnx::GraphProto* graph, const ParameterHomes& homes, bool float_weights,
                  std::vector<StoredParameter>* stored) {
  GraphNames names(*graph);
  std::vector<onnx::NodeProto> first;
  absl::flat_hash_map<const onnx::NodeProto*, std::vector<onnx::NodeProto>> following;
  absl::flat_hash_set<std::string> outputs;  // now node outputs: no graph inputs
  for (StoredParameter& parameter : *stored) {
    const onnx::NodeProto* after = nullptr;
    std::vector<onnx::NodeProto> added =
        Rewrite(graph, homes, &names, float_weights, &parameter, &after);
    outputs.insert(parameter.name);
    std::vector<onnx::NodeProto>& place = after == nullptr ? first : following[after];
    for (onnx::NodeProto& node : added) place.push_back(std::move(node));
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (onnx::NodeProto& node : first) *nodes.Add() = std::move(node);
  for (onnx::NodeProto& node : *graph->mutable_node()) {
    auto added = following.find(&node);
    *nodes.Add() = std::move(node);
    if (added == following.end()) continue;
    for (onnx::NodeProto& follower : added->second) *nodes.Add() = std::move(follower);
  }
  graph->mutable_node()->Swap(&nodes);
  RemoveGraphInputs(graph, outputs);
}

// The initializers and Constant outputs of `graph`, its parameters.
absl::flat_hash_set<std::string> ParameterNames(const onnx::GraphProto& graph) {
  absl::flat_hash_set<std::string> names;
  for (const auto& tensor : graph.initializer()) names.insert(tensor.name());
  for (const auto& node : graph.node()) {
    if (node.op_type() == "Constant" && node.output_size() > 0) names.insert(node.output(0));
  }
  return names;
}

// Drops an explicit data_location DEFAULT from every top-level tensor (initializers
// and node attributes): the export is then the same whether the data came inline or
// was read from external data.
void ClearDefaultDataLocations(onnx::GraphProto* graph) {
  auto clear = [](onnx::TensorProto* tensor) {
    if (tensor->has_data_location() && tensor->data_location() == onnx::TensorProto::DEFAULT) {
      tensor->clear_data_location();
    }
  };
  for (onnx::TensorProto& tensor : *graph->mutable_initializer()) clear(&tensor);
  for (onnx::NodeProto& node : *graph->mutable_node()) {
    for (onnx::AttributeProto& attribute : *node.mutable_attribute()) {
      if (attribute.has_t()) clear(attribute.mutable_t());
    }
  }
}

absl::StatusOr<QdqExportReport> Export(onnx::ModelProto* model,
                                       absl::Span<const TensorConfigSpec> specs,
                                       const BakeOutcome& outcome,
                                       const QdqExportOptions& options) {
  absl::StatusOr<int64_t> opset = DefaultOpset(*model);
  if (!opset.ok()) return opset.status();
  const absl::flat_hash_set<std::string> parameters = ParameterNames(model->graph());
  absl::StatusOr<ExportPlan> plan = PlanExport(model, specs, outcome, options);
  if (!plan.ok()) return plan.status();
  int64_t target = std::max(*opset, kQdqMinimumOpset);
  for (const StoredParameter& stored : plan->stored) {
    if (IsFloat8DataType(stored.integers.data_type)) target = std::max(target, kFloat8Opset);
  }
  absl::Status raised = RaiseOpset(model, target);
  if (!raised.ok()) return raised;
  const ParameterHomes homes(model->mutable_graph());
  KeepWhatBecameAttributes(homes, &*plan);
  for (const StoredParameter& stored : plan->stored) plan->report.exported.push_back(stored.entry);
  RewriteGraph(model->mutable_graph(), homes, options.float_weights, &plan->stored);
  if (options.activations) {
    GraphNames names(model->graph());
    plan->report.activations = InsertActivationQdq(model->mutable_graph(), specs, parameters,
                                                   options.default_rounding, &names);
  }
  ClearDefaultDataLocations(model->mutable_graph());
  plan->report.float_weights = options.float_weights;
  plan->report.opset_before = *opset;
  plan->report.opset_after = target;
  return std::move(plan->report);
}

}  // namespace

absl::StatusOr<QdqExportReport> ExportQdq(onnx::ModelProto* model,
                                          absl::Span<const TensorConfigSpec> specs,
                                          const BakeOutcome& outcome,
                                          const QdqExportOptions& options) {
  const absl::Time start = absl::Now();
  absl::StatusOr<QdqExportReport> report = Export(model, specs, outcome, options);
  if (report.ok()) {
    report->seconds = absl::ToDoubleSeconds(absl::Now() - start);
    return report;
  }
  return Reworded(report.status(), absl::StrCat("the QDQ export: ", report.status().message()));
}

}  // namespace qbake
