#include "core/qdq_export.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/config_error.h"
#include "core/config_resolver.h"
#include "core/graph_index.h"
#include "core/graph_names.h"
#include "core/opset_upgrade.h"
#include "core/parameter_values.h"
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

bool IsFloat8(int32_t data_type) { return data_type == 17 || data_type == 19; }

// The stored form of one baked parameter, or the reason it keeps its float values
// (in `reason`). Errors are for data that contradicts the bake.
absl::StatusOr<std::optional<StoredParameter>> StoreParameter(const ResolvedConfig& resolved,
                                                              const ConfigOutcome& outcome,
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
  if (integers.status().code() == absl::StatusCode::kFailedPrecondition) {
    *reason = std::string(integers.status().message());
    return std::nullopt;
  }
  if (!integers.ok()) return integers.status();
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
                                      const BakeOutcome& outcome) {
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
        StoreParameter(config, outcome.configs[config.spec_index], &reason);
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

std::string FloatsRawData(absl::Span<const float> values) {
  std::string raw(values.size() * sizeof(float), '\0');
  std::memcpy(raw.data(), values.data(), raw.size());  // little-endian hosts only
  return raw;
}

void AddInitializer(onnx::GraphProto* graph, const std::string& name, int32_t data_type,
                    const std::optional<int>& axis, size_t count, std::string raw_data) {
  onnx::TensorProto* tensor = graph->add_initializer();
  tensor->set_name(name);
  tensor->set_data_type(data_type);
  if (axis) tensor->add_dims(static_cast<int64_t>(count));
  tensor->set_raw_data(std::move(raw_data));
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

onnx::NodeProto* FindConstantNode(onnx::GraphProto* graph, const std::string& output) {
  for (auto& node : *graph->mutable_node()) {
    if (node.op_type() == "Constant" && node.output_size() > 0 && node.output(0) == output) {
      return &node;
    }
  }
  return nullptr;
}

onnx::TensorProto* FindInitializer(onnx::GraphProto* graph, const std::string& name) {
  for (auto& tensor : *graph->mutable_initializer()) {
    if (tensor.name() == name) return &tensor;
  }
  return nullptr;
}

void RemoveGraphInput(onnx::GraphProto* graph, const std::string& name) {
  auto* inputs = graph->mutable_input();
  inputs->erase(std::remove_if(inputs->begin(), inputs->end(),
                               [&](const onnx::ValueInfoProto& v) { return v.name() == name; }),
                inputs->end());
}

// Stores one parameter, an initializer or a Constant node's value, and returns its
// DequantizeLinear node; `after` receives the Constant node it must follow (null for
// an initializer).
onnx::NodeProto Rewrite(onnx::GraphProto* graph, GraphNames* names, StoredParameter* stored,
                        const onnx::NodeProto** after) {
  const std::string quantized = names->Claim(stored->name + "_quantized");
  const std::string scale = names->Claim(stored->name + "_scale");
  onnx::NodeProto dequantize;
  dequantize.set_name(names->Claim(stored->name + "_DequantizeLinear"));
  dequantize.set_op_type("DequantizeLinear");
  dequantize.add_input(quantized);
  dequantize.add_input(scale);
  dequantize.add_output(stored->name);
  AddInitializer(graph, scale, onnx::TensorProto::FLOAT, stored->axis, stored->scale.size(),
                 FloatsRawData(stored->scale));
  if (!stored->integers.zero_point_raw_data.empty()) {
    const std::string zero_point = names->Claim(stored->name + "_zero_point");
    dequantize.add_input(zero_point);
    AddInitializer(graph, zero_point, stored->integers.data_type, stored->axis,
                   stored->scale.size(), std::move(stored->integers.zero_point_raw_data));
  }
  if (stored->axis) {
    onnx::AttributeProto* axis = dequantize.add_attribute();
    axis->set_name("axis");
    axis->set_type(onnx::AttributeProto::INT);
    axis->set_i(*stored->axis);
  }
  *after = nullptr;
  if (onnx::TensorProto* initializer = FindInitializer(graph, stored->name)) {
    StoreInto(initializer, quantized, &stored->integers);
    RemoveGraphInput(graph, stored->name);
    return dequantize;
  }
  onnx::NodeProto* constant = FindConstantNode(graph, stored->name);
  constant->set_output(0, quantized);
  for (auto& attribute : *constant->mutable_attribute()) {
    if (attribute.name() == "value") StoreInto(attribute.mutable_t(), quantized, &stored->integers);
  }
  *after = constant;
  return dequantize;
}

// Moves to the report's kept floats the parameters the opset conversion took out of
// the graph: the constant inputs of operators PPQ wrote in a newer form, which are
// now attributes holding their baked values (core/newer_operator_forms.h).
void KeepWhatBecameAttributes(onnx::GraphProto* graph, ExportPlan* plan) {
  std::vector<StoredParameter> kept;
  for (StoredParameter& stored : plan->stored) {
    if (FindInitializer(graph, stored.name) != nullptr ||
        FindConstantNode(graph, stored.name) != nullptr) {
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

// Rewrites every stored parameter: DequantizeLinear nodes of initializers first,
// each one of a Constant right after it.
void RewriteGraph(onnx::GraphProto* graph, std::vector<StoredParameter>* stored) {
  GraphNames names(*graph);
  std::vector<onnx::NodeProto> first;
  absl::flat_hash_map<const onnx::NodeProto*, onnx::NodeProto> following;
  for (StoredParameter& parameter : *stored) {
    const onnx::NodeProto* after = nullptr;
    onnx::NodeProto dequantize = Rewrite(graph, &names, &parameter, &after);
    if (after == nullptr) {
      first.push_back(std::move(dequantize));
    } else {
      following.emplace(after, std::move(dequantize));
    }
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (onnx::NodeProto& node : first) *nodes.Add() = std::move(node);
  for (onnx::NodeProto& node : *graph->mutable_node()) {
    auto dequantize = following.find(&node);
    *nodes.Add() = std::move(node);
    if (dequantize != following.end()) *nodes.Add() = std::move(dequantize->second);
  }
  graph->mutable_node()->Swap(&nodes);
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

}  // namespace

absl::StatusOr<QdqExportReport> ExportQdq(onnx::ModelProto* model,
                                          absl::Span<const TensorConfigSpec> specs,
                                          const BakeOutcome& outcome,
                                          const QdqExportOptions& options) {
  absl::StatusOr<int64_t> opset = DefaultOpset(*model);
  if (!opset.ok()) return opset.status();
  const absl::flat_hash_set<std::string> parameters = ParameterNames(model->graph());
  absl::StatusOr<ExportPlan> plan = PlanExport(model, specs, outcome);
  if (!plan.ok()) return plan.status();
  int64_t target = std::max(*opset, kQdqMinimumOpset);
  for (const StoredParameter& stored : plan->stored) {
    if (IsFloat8(stored.integers.data_type)) target = std::max(target, kFloat8Opset);
  }
  absl::Status raised = RaiseOpset(model, target);
  if (!raised.ok()) return raised;
  KeepWhatBecameAttributes(model->mutable_graph(), &*plan);
  for (const StoredParameter& stored : plan->stored) plan->report.exported.push_back(stored.entry);
  RewriteGraph(model->mutable_graph(), &plan->stored);
  if (options.activations) {
    GraphNames names(model->graph());
    plan->report.activations = InsertActivationQdq(model->mutable_graph(), specs, parameters,
                                                   options.default_rounding, &names);
  }
  plan->report.opset_before = *opset;
  plan->report.opset_after = target;
  return std::move(plan->report);
}

}  // namespace qbake
