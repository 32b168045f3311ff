#include "core/activation_qdq.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/config_resolver.h"
#include "core/qdq_nodes.h"
#include "core/quant_config.h"

namespace qbake {
namespace {

// The numbers of one QuantizeLinear -> DequantizeLinear pair.
struct PairNumbers {
  int32_t data_type = onnx::TensorProto::INT8;
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  std::optional<int> axis;

  bool operator==(const PairNumbers& other) const {
    return data_type == other.data_type && scale == other.scale && zero_point == other.zero_point &&
           axis == other.axis;
  }
};

struct IntegerRange {
  int32_t data_type;
  const char* name;
  double lowest;
  double highest;
};

constexpr IntegerRange kInt8 = {onnx::TensorProto::INT8, "INT8", -128, 127};
constexpr IntegerRange kUint8 = {onnx::TensorProto::UINT8, "UINT8", 0, 255};

bool Holds(const IntegerRange& type, double low, double high) {
  return low >= type.lowest && high <= type.highest;
}

// The integer type whose range holds [quant_min, quant_max]: UINT8 first for an
// ASYMMETRICAL config (PPQ's choice), INT8 first otherwise.
std::optional<IntegerRange> TypeFor(const TensorConfigSpec& spec) {
  const bool asymmetrical = (spec.policy & kAsymmetrical) != 0;
  for (const IntegerRange& type : asymmetrical ? std::vector<IntegerRange>{kUint8, kInt8}
                                               : std::vector<IntegerRange>{kInt8, kUint8}) {
    if (Holds(type, spec.quant_min, spec.quant_max)) return type;
  }
  return std::nullopt;
}

// Why a config gets no pair, or nullopt when it gets one.
std::optional<std::string> NoPairReason(const TensorConfigSpec& spec) {
  if ((spec.policy & kFloating) != 0) {
    return "FLOATING: ONNX's QuantizeLinear has no form of PPQ's floating quantization";
  }
  if ((spec.policy & kDynamic) != 0) return "DYNAMIC: its scale is solved from each input";
  if (spec.num_of_bits > 8) {
    return absl::StrCat(spec.num_of_bits, " bits: ONNX's QuantizeLinear gives 8-bit integers");
  }
  if (spec.scale.empty()) return "no scale";
  const bool per_channel = (spec.policy & kPerChannel) != 0;
  if (per_channel && !spec.channel_axis) return "PER_CHANNEL without an axis";
  if (!per_channel && spec.scale.size() != 1) {
    return absl::StrCat("PER_TENSOR with ", spec.scale.size(), " scales");
  }
  if (!TypeFor(spec)) {
    return absl::StrFormat("the range [%g, %g] fits neither INT8 nor UINT8", spec.quant_min,
                           spec.quant_max);
  }
  for (double s : spec.scale) {
    if (!(s > 0 && s <= std::numeric_limits<float>::max()) || static_cast<float>(s) == 0) {
      return absl::StrFormat("scale %g is not a positive finite float32", s);
    }
  }
  for (double o : spec.offset) {
    if (!std::isfinite(o)) return absl::StrFormat("offset %g is not finite", o);
  }
  return std::nullopt;
}

// The nearest pair of a config NoPairReason accepts; `differences` receives how it
// differs from PPQ's quantization.
PairNumbers NearestPair(const TensorConfigSpec& spec, Rounding rounding,
                        std::vector<std::string>* differences) {
  const IntegerRange type = *TypeFor(spec);
  PairNumbers pair;
  pair.data_type = type.data_type;
  if ((spec.policy & kPerChannel) != 0) pair.axis = *spec.channel_axis;
  for (double s : spec.scale) pair.scale.push_back(static_cast<float>(s));
  for (size_t c = 0; c < spec.scale.size(); ++c) {
    const double offset = c < spec.offset.size() ? spec.offset[c] : 0.0;
    const double whole = std::min(std::max(std::nearbyint(offset), type.lowest), type.highest);
    if (whole != offset) {
      differences->push_back(absl::StrFormat("offset %g taken as %g", offset, whole));
    }
    pair.zero_point.push_back(static_cast<int64_t>(whole));
  }
  if (rounding != Rounding::kHalfEven) {
    differences->push_back(
        absl::StrCat("rounds ", RoundingName(rounding), ", ONNX's QuantizeLinear half to even"));
  }
  if (spec.quant_min != type.lowest || spec.quant_max != type.highest) {
    differences->push_back(
        absl::StrFormat("clamps to [%g, %g], ONNX's QuantizeLinear saturates "
                        "to %s [%g, %g]",
                        spec.quant_min, spec.quant_max, type.name, type.lowest, type.highest));
  }
  return pair;
}

Rounding RoundingOf(const TensorConfigSpec& spec, Rounding default_rounding) {
  if (spec.rounding) return *spec.rounding;
  if (spec.platform) return PlatformRounding(*spec.platform);
  return default_rounding;
}

class PairInserter {
 public:
  PairInserter(onnx::GraphProto* graph, GraphNames* names) : graph_(graph), names_(names) {
    for (const auto& output : graph->output()) graph_outputs_.insert(output.name());
  }

  // A pair on `value`, an output of `producer`, for every consumer (the graph's nodes
  // and the input pairs added so far; the output pairs read other values). A graph
  // output keeps its name for the pair's output: the producer then writes the
  // unquantized value under a new name, and no consumer changes.
  void OnOutput(onnx::NodeProto* producer, const std::string& value, const PairNumbers& pair) {
    if (!producer_pairs_.emplace(value, pair).second) return;
    if (graph_outputs_.contains(value)) {
      const std::string unquantized = names_->Claim(value + "_unquantized");
      for (std::string& output : *producer->mutable_output()) {
        if (output == value) output = unquantized;
      }
      AddPair(unquantized, pair, &after_[producer], value);
      return;
    }
    const std::string dequantized = AddPair(value, pair, &after_[producer]);
    for (auto& node : *graph_->mutable_node()) Rewire(&node, value, dequantized);
    for (auto& [anchor, nodes] : before_) {
      for (auto& node : nodes) Rewire(&node, value, dequantized);
    }
  }

  // A pair on `value` for `consumer` only; returns false, adding none, when its
  // producer's pair has the same numbers (the consumer shares that one).
  bool OnInput(onnx::NodeProto* consumer, const std::string& value, const PairNumbers& pair) {
    auto produced = producer_pairs_.find(value);
    if (produced != producer_pairs_.end() && produced->second == pair) return false;
    for (int slot = 0; slot < consumer->input_size(); ++slot) {
      const std::string& read = consumer->input(slot);
      if (read != value && !IsPairOutputOf(read, value)) continue;
      consumer->set_input(slot, AddPair(read, pair, &before_[consumer]));
    }
    return true;
  }

  // Rebuilds the node list with every pair in place.
  void Finish() {
    google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
    for (onnx::NodeProto& node : *graph_->mutable_node()) {
      const onnx::NodeProto* anchor = &node;
      for (onnx::NodeProto& added : before_[anchor]) *nodes.Add() = std::move(added);
      *nodes.Add() = std::move(node);
      for (onnx::NodeProto& added : after_[anchor]) *nodes.Add() = std::move(added);
    }
    graph_->mutable_node()->Swap(&nodes);
  }

 private:
  static void Rewire(onnx::NodeProto* node, const std::string& from, const std::string& to) {
    for (int slot = 0; slot < node->input_size(); ++slot) {
      if (node->input(slot) == from) node->set_input(slot, to);
    }
  }

  bool IsPairOutputOf(const std::string& read, const std::string& value) const {
    auto produced = pair_outputs_.find(read);
    return produced != pair_outputs_.end() && produced->second == value;
  }

  // Adds scale, zero point and the two nodes reading `input`; returns the output,
  // `output` when given, else a new name.
  std::string AddPair(const std::string& input, const PairNumbers& pair,
                      std::vector<onnx::NodeProto>* place, const std::string& output = "") {
    const std::string scale = names_->Claim(input + "_scale");
    const std::string zero_point = names_->Claim(input + "_zero_point");
    std::string zero_point_raw;
    for (int64_t z : pair.zero_point) zero_point_raw.push_back(static_cast<char>(z & 0xFF));
    AddQdqInitializer(graph_, scale, onnx::TensorProto::FLOAT, pair.axis, pair.scale.size(),
                      FloatsRawData(pair.scale));
    AddQdqInitializer(graph_, zero_point, pair.data_type, pair.axis, pair.zero_point.size(),
                      std::move(zero_point_raw));
    const std::string quantized = names_->Claim(input + "_quantized");
    const std::string dequantized = output.empty() ? names_->Claim(input + "_dequantized") : output;
    place->push_back(QdqNode("QuantizeLinear", names_->Claim(quantized + "_QuantizeLinear"),
                             {input, scale, zero_point}, quantized, pair.axis));
    place->push_back(QdqNode("DequantizeLinear", names_->Claim(dequantized + "_DequantizeLinear"),
                             {quantized, scale, zero_point}, dequantized, pair.axis));
    pair_outputs_[dequantized] = input;
    return dequantized;
  }

  onnx::GraphProto* graph_;
  GraphNames* names_;
  absl::flat_hash_map<const onnx::NodeProto*, std::vector<onnx::NodeProto>> before_;
  absl::flat_hash_map<const onnx::NodeProto*, std::vector<onnx::NodeProto>> after_;
  absl::flat_hash_map<std::string, PairNumbers> producer_pairs_;
  absl::flat_hash_map<std::string, std::string> pair_outputs_;  // pair output -> its value
  absl::flat_hash_set<std::string> graph_outputs_;
};

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& values,
              const std::string& value) {
  for (const std::string& v : values) {
    if (v == value) return true;
  }
  return false;
}

}  // namespace

std::vector<QdqActivation> InsertActivationQdq(onnx::GraphProto* graph,
                                               absl::Span<const TensorConfigSpec> specs,
                                               const absl::flat_hash_set<std::string>& parameters,
                                               Rounding default_rounding, GraphNames* names) {
  // Each config's place, read before any pair rewires the graph.
  absl::flat_hash_map<std::string, onnx::NodeProto*> nodes;
  for (auto& node : *graph->mutable_node()) nodes.emplace(node.name(), &node);
  struct Site {
    size_t index;
    onnx::NodeProto* node;
    bool output;
  };
  std::vector<Site> sites;
  for (size_t index = 0; index < specs.size(); ++index) {
    const TensorConfigSpec& spec = specs[index];
    auto node = nodes.find(spec.operation);
    if (!IsBakeable(spec.state) || parameters.contains(spec.variable) || node == nodes.end()) {
      continue;
    }
    if (Contains(node->second->output(), spec.variable)) {
      sites.push_back({index, node->second, true});
    } else if (Contains(node->second->input(), spec.variable)) {
      sites.push_back({index, node->second, false});
    }
  }
  // Outputs first, so that an input's pair follows its producer's.
  std::stable_sort(sites.begin(), sites.end(),
                   [](const Site& a, const Site& b) { return a.output > b.output; });
  PairInserter inserter(graph, names);
  std::vector<std::pair<size_t, QdqActivation>> found;
  for (const Site& site : sites) {
    const TensorConfigSpec& spec = specs[site.index];
    QdqActivation activation;
    activation.operation = spec.operation;
    activation.variable = spec.variable;
    if (std::optional<std::string> reason = NoPairReason(spec)) {
      activation.note = absl::StrCat("no pair: ", *reason);
    } else {
      std::vector<std::string> differences;
      const PairNumbers pair = NearestPair(spec, RoundingOf(spec, default_rounding), &differences);
      if (site.output) {
        inserter.OnOutput(site.node, spec.variable, pair);
      } else {
        activation.shared = !inserter.OnInput(site.node, spec.variable, pair);
      }
      activation.inserted = true;
      activation.note = absl::StrJoin(differences, "; ");
    }
    found.emplace_back(site.index, std::move(activation));
  }
  inserter.Finish();
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<QdqActivation> activations;
  for (auto& [index, activation] : found) activations.push_back(std::move(activation));
  return activations;
}

}  // namespace qbake
