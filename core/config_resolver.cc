#include "core/config_resolver.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/config_error.h"
#include "core/dequantized_range.h"
#include "core/parameter_values.h"

namespace qbake {
namespace {

// The specs of a Resolve call by (operation, variable); the first spec of a pair wins.
using SpecIndex =
    absl::flat_hash_map<std::pair<absl::string_view, absl::string_view>, const TensorConfigSpec*>;

SpecIndex IndexSpecs(absl::Span<const TensorConfigSpec> specs) {
  SpecIndex index;
  for (const TensorConfigSpec& spec : specs) {
    index.try_emplace(
        std::make_pair(absl::string_view(spec.operation), absl::string_view(spec.variable)), &spec);
  }
  return index;
}

absl::Status Error(const TensorConfigSpec& spec, absl::string_view field,
                   absl::string_view message) {
  return ConfigError(spec.operation, spec.variable, field, message);
}

// Enough digits for a float32 to round-trip.
std::string FloatText(float value) { return absl::StrFormat("%.9g", value); }

std::string NodeText(const onnx::NodeProto& node) {
  return absl::StrCat("'", node.name(), "' (", node.op_type(), ")");
}

std::string NamesText(const google::protobuf::RepeatedPtrField<std::string>& names) {
  return absl::StrCat("[", absl::StrJoin(names, ", "), "]");
}

std::string ShapeText(absl::Span<const int64_t> dims) {
  return absl::StrCat("[", absl::StrJoin(dims, ", "), "]");
}

static_assert(std::numeric_limits<float>::is_iec559, "float32 must be IEEE-754 binary32");

// Narrows as IEEE-754 does (round to nearest even; too large becomes infinite and then
// fails validation), as torch does when PPQ builds its float32 tensors.
std::vector<float> NarrowToFloat(absl::Span<const double> values) {
  return std::vector<float>(values.begin(), values.end());
}

// ---- Checks that apply to every spec.

absl::StatusOr<const onnx::NodeProto*> FindOperation(const GraphIndex& graph,
                                                     const TensorConfigSpec& spec) {
  const onnx::NodeProto* node = graph.FindNode(spec.operation);
  if (node == nullptr) {
    return Error(spec, "operation",
                 "no node of that name in the model's top-level graph "
                 "(nodes are matched by their name)");
  }
  return node;
}

absl::Status CheckVariable(const onnx::NodeProto& node, const TensorConfigSpec& spec) {
  auto is_variable = [&spec](const std::string& name) { return name == spec.variable; };
  const bool found = !spec.variable.empty() &&
                     (std::any_of(node.input().begin(), node.input().end(), is_variable) ||
                      std::any_of(node.output().begin(), node.output().end(), is_variable));
  if (found) return absl::OkStatus();
  return Error(
      spec, "variable",
      absl::StrCat("not an input or output of node ", NodeText(node), "; its inputs are ",
                   NamesText(node.input()), " and its outputs ", NamesText(node.output())));
}

absl::Status CheckPolicy(const TensorConfigSpec& spec) {
  if (IsValidPolicy(spec.policy)) return absl::OkStatus();
  return Error(spec, "policy",
               absl::StrFormat("invalid policy %s (0x%x); expected LINEAR with SYMMETRICAL or "
                               "ASYMMETRICAL and PER_TENSOR or PER_CHANNEL, optionally "
                               "POWER_OF_2 and DYNAMIC, or FLOATING|SYMMETRICAL|POWER_OF_2 with "
                               "PER_TENSOR or PER_CHANNEL",
                               PolicyToString(spec.policy), spec.policy));
}

// ---- Checks of a config to bake against its parameter.

absl::Status CheckSingleConsumer(const ParameterRef& parameter, const TensorConfigSpec& spec) {
  if (parameter.consumers.size() == 1) return absl::OkStatus();
  auto format_node = [](std::string* out, const onnx::NodeProto* node) {
    absl::StrAppend(out, NodeText(*node));
  };
  return Error(spec, "variable",
               absl::StrCat("parameter feeds ", parameter.consumers.size(), " node input slots [",
                            absl::StrJoin(parameter.consumers, ", ", format_node),
                            "]; a parameter to bake must feed exactly one"));
}

absl::Status CheckElementType(const ParameterRef& parameter, const TensorConfigSpec& spec) {
  const int32_t type = parameter.tensor->data_type();
  if (IsBakeableElementType(type)) return absl::OkStatus();
  const std::string name =
      onnx::TensorProto_DataType_IsValid(type)
          ? onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(type))
          : "an unknown type";
  return Error(spec, "data_type",
               absl::StrCat("parameter has element type ", name, " (", type,
                            "); only FLOAT, FLOAT16 and BFLOAT16 can be baked"));
}

absl::Status CheckBitsAndRange(const TensorConfigSpec& spec) {
  if (spec.num_of_bits < 2 || spec.num_of_bits > 32) {
    return Error(
        spec, "bit_width",
        absl::StrCat("bit_width ", spec.num_of_bits, " is out of range; expected 2 to 32"));
  }
  if (!(spec.quant_min < spec.quant_max)) {
    return Error(spec, "quant_min",
                 absl::StrCat("quant_min (", spec.quant_min, ") must be less than quant_max (",
                              spec.quant_max, ")"));
  }
  // PPQ clamps float32 tensors, with its bounds narrowed to float32.
  for (const auto& [field, bound] :
       {std::make_pair("quant_min", spec.quant_min), std::make_pair("quant_max", spec.quant_max)}) {
    if (!std::isfinite(static_cast<float>(bound))) {
      return Error(spec, field,
                   absl::StrCat(field, " (", bound, ") is beyond float32's range (largest ",
                                FloatText(std::numeric_limits<float>::max()),
                                "); quantized values are float32"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ResolveExponentBits(const TensorConfigSpec& spec) {
  const bool floating = (spec.policy & kFloating) != 0;
  if (!spec.exponent_bits && floating && spec.num_of_bits != 8) {
    return Error(spec, "exponent_bits",
                 absl::StrCat("missing: a FLOATING config of bit_width ", spec.num_of_bits,
                              " has no default exponent_bits (only bit_width 8 defaults to "
                              "E4M3); state exponent_bits"));
  }
  const int bits = spec.exponent_bits.value_or(floating ? 4 : 0);
  if (bits < 0 || bits > 8) {
    return Error(spec, "exponent_bits",
                 absl::StrCat("exponent_bits ", bits, " is out of range; expected 0 to 8"));
  }
  if (floating && bits < 1) {
    return Error(spec, "exponent_bits", "FLOATING needs exponent_bits >= 1, found 0");
  }
  if (floating && spec.num_of_bits - bits - 1 < 0) {
    return Error(spec, "exponent_bits",
                 absl::StrCat("exponent_bits ", bits, " leaves bit_width - exponent_bits - 1 = ",
                              spec.num_of_bits - bits - 1,
                              " mantissa bits; expected exponent_bits <= bit_width - 1"));
  }
  // The format's values are float32 values with low mantissa bits cleared.
  if (floating && spec.num_of_bits - bits - 1 > std::numeric_limits<float>::digits - 1) {
    return Error(spec, "exponent_bits",
                 absl::StrCat("exponent_bits ", bits, " leaves bit_width - exponent_bits - 1 = ",
                              spec.num_of_bits - bits - 1,
                              " mantissa bits, more than float32's 23; expected exponent_bits "
                              ">= bit_width - 24"));
  }
  return bits;
}

absl::StatusOr<std::vector<int64_t>> ParameterDims(const ParameterRef& parameter,
                                                   const TensorConfigSpec& spec) {
  absl::StatusOr<int64_t> count = ElementCount(*parameter.tensor);
  if (!count.ok()) return Error(spec, "value", count.status().message());
  return std::vector<int64_t>(parameter.tensor->dims().begin(), parameter.tensor->dims().end());
}

// PPQ solves a DYNAMIC scale from the parameter's min and max, which torch refuses
// for an empty tensor; nor may the dims of one (a 0 beside anything) size the solve.
absl::Status CheckDynamicHasValues(const TensorConfigSpec& spec, absl::Span<const int64_t> dims) {
  if ((spec.policy & kDynamic) == 0 || std::find(dims.begin(), dims.end(), 0) == dims.end()) {
    return absl::OkStatus();
  }
  return Error(spec, "policy",
               absl::StrCat("DYNAMIC solves the scale from the parameter's values, and the "
                            "parameter of shape ",
                            ShapeText(dims),
                            " has none (PPQ's min and max of an empty tensor fail); state a "
                            "scale under a policy without DYNAMIC"));
}

// ---- Scale and offset.

bool IsPassiveBias(const TensorConfigSpec& spec, const onnx::NodeProto& node) {
  const std::string& type = node.op_type();
  return spec.state == QuantState::kPassive && node.input_size() > 2 &&
         node.input(2) == spec.variable &&
         (type == "Conv" || type == "ConvTranspose" || type == "Gemm");
}

// The scale of the operation's config for `variable`, or an error saying why it is
// not there. `role` names the variable's part in the derivation ("input", "weight").
absl::StatusOr<std::vector<float>> SourceScale(const TensorConfigSpec& bias, const SpecIndex& specs,
                                               absl::string_view role, absl::string_view variable) {
  auto it = specs.find(std::make_pair(absl::string_view(bias.operation), variable));
  if (it == specs.end() || it->second->scale.empty()) {
    return Error(bias, "scale",
                 absl::StrFormat("missing: no scale is stated, and the PASSIVE bias scale cannot "
                                 "be derived because the %s '%s' of this operation has no config "
                                 "with a scale; state the bias scale or the %s scale",
                                 role, variable, role));
  }
  return NarrowToFloat(it->second->scale);
}

// PPQ's PassiveParameterQuantizePass: bias scale = input scale * weight scale in
// float32, element by element for a per-channel weight.
absl::StatusOr<std::vector<float>> DerivedBiasScale(const TensorConfigSpec& spec,
                                                    const onnx::NodeProto& node,
                                                    const SpecIndex& specs) {
  absl::StatusOr<std::vector<float>> input = SourceScale(spec, specs, "input", node.input(0));
  if (!input.ok()) return input.status();
  absl::StatusOr<std::vector<float>> weight = SourceScale(spec, specs, "weight", node.input(1));
  if (!weight.ok()) return weight.status();
  if (input->size() != 1) {
    return Error(spec, "scale",
                 absl::StrCat("cannot derive the PASSIVE bias scale: input '", node.input(0),
                              "' has ", input->size(), " scales, expected 1 (per tensor)"));
  }
  std::vector<float> scale;
  scale.reserve(weight->size());
  for (size_t i = 0; i < weight->size(); ++i) {
    scale.push_back(input->front() * (*weight)[i]);
    if (std::isfinite(scale.back()) && scale.back() != 0) continue;
    return Error(spec, "scale",
                 absl::StrCat("the PASSIVE bias scale[", i, "] derived as input scale ",
                              FloatText(input->front()), " * weight scale[", i, "] ",
                              FloatText((*weight)[i]), " is ", FloatText(scale.back()),
                              " in float32; every scale must be finite and > 0: state the "
                              "bias scale"));
  }
  return scale;
}

// Fills config.scale and config.offset (float32) from the spec, or derives them.
// DYNAMIC configs get neither. Returns whether the scale was derived.
absl::StatusOr<bool> ResolveScaleOffset(const TensorConfigSpec& spec, const onnx::NodeProto& node,
                                        const SpecIndex& specs, TensorQuantConfig* config) {
  if (config->Has(kDynamic)) return false;
  bool derived = false;
  if (!spec.scale.empty()) {
    config->scale = NarrowToFloat(spec.scale);
    config->offset = NarrowToFloat(spec.offset);
  } else if (IsPassiveBias(spec, node)) {
    absl::StatusOr<std::vector<float>> scale = DerivedBiasScale(spec, node, specs);
    if (!scale.ok()) return scale.status();
    config->scale = *std::move(scale);
    derived = true;
  } else {
    return Error(spec, "scale",
                 "missing: a config to bake needs a scale (inline, or in values[dominator] or "
                 "values[hash]) unless its policy is DYNAMIC");
  }
  if (config->offset.empty()) config->offset.assign(config->scale.size(), 0.0f);
  return derived;
}

absl::Status CheckScaleValues(const TensorConfigSpec& spec, const TensorQuantConfig& config) {
  for (size_t i = 0; i < config.scale.size(); ++i) {
    const float scale = config.scale[i];
    if (!std::isfinite(scale) || !(scale > 0)) {
      return Error(spec, "scale",
                   absl::StrCat("scale[", i, "] is ", FloatText(scale),
                                " (as float32); every scale must be finite and > 0"));
    }
    int exponent = 0;
    if (config.Has(kPowerOf2) && std::frexp(scale, &exponent) != 0.5f) {
      return Error(spec, "scale",
                   absl::StrCat("scale[", i, "] is ", FloatText(scale),
                                ", not an exact power of two as POWER_OF_2 requires"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckOffsetValues(const TensorConfigSpec& spec, const TensorQuantConfig& config) {
  if (config.offset.size() != config.scale.size()) {
    return Error(spec, "zero_point",
                 absl::StrCat(config.offset.size(), " zero_point values for ", config.scale.size(),
                              " scales; expected one per scale (or none for all zeros)"));
  }
  for (size_t i = 0; i < config.offset.size(); ++i) {
    const float offset = config.offset[i];
    if (!std::isfinite(offset) || std::trunc(offset) != offset) {
      return Error(
          spec, "zero_point",
          absl::StrCat("zero_point[", i, "] is ", FloatText(offset), "; expected an integer"));
    }
    if (config.Has(kSymmetrical) && offset != 0) {
      return Error(spec, "zero_point",
                   absl::StrCat("zero_point[", i, "] is ", FloatText(offset),
                                "; a SYMMETRICAL policy needs 0"));
    }
  }
  return absl::OkStatus();
}

// Stated and derived scales; a DYNAMIC scale is checked once solved (BakeSession).
absl::Status CheckDequantizedRange(const TensorConfigSpec& spec, const TensorQuantConfig& config) {
  const std::optional<DequantizeOverflow> overflow = FindDequantizeOverflow(config);
  if (!overflow) return absl::OkStatus();
  return Error(spec, overflow->in_offset ? "zero_point" : "scale",
               absl::StrCat(DequantizeOverflowText(config, *overflow),
                            "; every baked value must be a finite float32"));
}

// ---- Granularity and channel axis.

// PPQ's channel axis for a parameter of this rank feeding this op type, if it has one.
std::optional<int> ConventionAxis(const std::string& op_type, size_t rank) {
  if (rank == 1) return 0;
  if (op_type == "Conv" || op_type == "Gemm" || op_type == "MatMul") return 0;
  if (op_type == "ConvTranspose") return 1;
  return std::nullopt;
}

absl::StatusOr<int> StatedAxis(const TensorConfigSpec& spec, absl::Span<const int64_t> dims) {
  const int rank = static_cast<int>(dims.size());
  const int axis = *spec.channel_axis < 0 ? *spec.channel_axis + rank : *spec.channel_axis;
  if (axis < 0 || axis >= rank) {
    return Error(spec, "channel_axis",
                 absl::StrCat("channel_axis ", *spec.channel_axis, " is out of range for shape ",
                              ShapeText(dims), "; expected ", -rank, " to ", rank - 1));
  }
  return axis;
}

// The only dimension whose size is `count`.
absl::StatusOr<int> MatchingAxis(const TensorConfigSpec& spec, absl::Span<const int64_t> dims,
                                 size_t count) {
  std::vector<int> matches;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == static_cast<int64_t>(count)) matches.push_back(static_cast<int>(d));
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) {
    return Error(spec, "scale",
                 absl::StrCat(count, " scales match no dimension of shape ", ShapeText(dims),
                              "; a PER_CHANNEL config needs one scale per channel"));
  }
  return Error(
      spec, "channel_axis",
      absl::StrCat("missing and ambiguous: dimensions ", absl::StrJoin(matches, ", "), " of shape ",
                   ShapeText(dims), " all have size ", count, "; state channel_axis"));
}

absl::StatusOr<int> ResolveChannelAxis(const TensorConfigSpec& spec, const onnx::NodeProto& node,
                                       absl::Span<const int64_t> dims,
                                       const TensorQuantConfig& config) {
  if (dims.empty()) {
    return Error(spec, "channel_axis",
                 "a scalar (rank-0) parameter cannot be quantized PER_CHANNEL; use PER_TENSOR");
  }
  if (spec.channel_axis) return StatedAxis(spec, dims);
  const std::optional<int> convention = ConventionAxis(node.op_type(), dims.size());
  if (config.Has(kDynamic)) {
    if (convention) return *convention;
    return Error(spec, "channel_axis",
                 absl::StrCat("missing: a DYNAMIC PER_CHANNEL parameter of shape ", ShapeText(dims),
                              " feeding ", node.op_type(),
                              " has no conventional channel axis; state channel_axis"));
  }
  if (convention && dims[*convention] == static_cast<int64_t>(config.scale.size())) {
    return *convention;
  }
  return MatchingAxis(spec, dims, config.scale.size());
}

absl::Status ResolveGranularity(const TensorConfigSpec& spec, const onnx::NodeProto& node,
                                absl::Span<const int64_t> dims, TensorQuantConfig* config) {
  const bool dynamic = config->Has(kDynamic);
  if (config->Has(kPerTensor)) {
    if (dynamic || config->scale.size() == 1) return absl::OkStatus();
    return Error(spec, "scale",
                 absl::StrCat("PER_TENSOR needs exactly 1 scale, found ", config->scale.size()));
  }
  absl::StatusOr<int> axis = ResolveChannelAxis(spec, node, dims, *config);
  if (!axis.ok()) return axis.status();
  config->channel_axis = *axis;
  if (dynamic || dims[*axis] == static_cast<int64_t>(config->scale.size())) {
    return absl::OkStatus();
  }
  return Error(spec, "scale",
               absl::StrCat(config->scale.size(), " scales, but channel_axis ", *axis, " of shape ",
                            ShapeText(dims), " has ", dims[*axis],
                            " channels; expected one scale per channel"));
}

// ---- One config to bake.

absl::Status CheckParameter(const ParameterRef& parameter, const TensorConfigSpec& spec) {
  absl::Status status = CheckSingleConsumer(parameter, spec);
  if (status.ok()) status = CheckElementType(parameter, spec);
  if (status.ok()) status = CheckBitsAndRange(spec);
  return status;
}

absl::StatusOr<ResolvedConfig> ResolveBake(const TensorConfigSpec& spec,
                                           const onnx::NodeProto& node, ParameterRef* parameter,
                                           const SpecIndex& specs, Rounding default_rounding) {
  if (absl::Status status = CheckParameter(*parameter, spec); !status.ok()) return status;
  absl::StatusOr<int> exponent_bits = ResolveExponentBits(spec);
  if (!exponent_bits.ok()) return exponent_bits.status();
  absl::StatusOr<std::vector<int64_t>> dims = ParameterDims(*parameter, spec);
  if (!dims.ok()) return dims.status();
  if (absl::Status status = CheckDynamicHasValues(spec, *dims); !status.ok()) return status;

  ResolvedConfig resolved;
  resolved.parameter = parameter;
  TensorQuantConfig& config = resolved.config;
  config.policy = spec.policy;
  config.rounding =
      spec.rounding.value_or(spec.platform ? PlatformRounding(*spec.platform) : default_rounding);
  config.num_of_bits = spec.num_of_bits;
  config.exponent_bits = *exponent_bits;
  config.quant_min = spec.quant_min;
  config.quant_max = spec.quant_max;
  config.state = spec.state;

  absl::StatusOr<bool> derived = ResolveScaleOffset(spec, node, specs, &config);
  if (!derived.ok()) return derived.status();
  resolved.scale_derived = *derived;
  absl::Status status = CheckScaleValues(spec, config);
  if (status.ok()) status = CheckOffsetValues(spec, config);
  if (status.ok()) status = CheckDequantizedRange(spec, config);
  if (status.ok()) status = ResolveGranularity(spec, node, *dims, &config);
  if (!status.ok()) return status;
  return resolved;
}

}  // namespace

Rounding PlatformRounding(absl::string_view platform) {
  if (platform == "NCNN_INT8" || platform == "MNN_INT8" || platform == "ASC_INT8") {
    return Rounding::kHalfFarFromZero;
  }
  if (platform == "NXP_INT8") return Rounding::kHalfUp;
  return Rounding::kHalfEven;
}

absl::StatusOr<std::vector<ResolvedConfig>> ConfigResolver::Resolve(
    absl::Span<const TensorConfigSpec> specs) const {
  const SpecIndex index = IndexSpecs(specs);
  std::vector<ResolvedConfig> resolved;
  for (size_t i = 0; i < specs.size(); ++i) {
    const TensorConfigSpec& spec = specs[i];
    absl::StatusOr<const onnx::NodeProto*> node = FindOperation(*graph_, spec);
    if (!node.ok()) return node.status();
    absl::Status status = CheckVariable(**node, spec);
    if (status.ok()) status = CheckPolicy(spec);
    if (!status.ok()) return status;

    ParameterRef* parameter = graph_->FindParameter(spec.variable);
    if (parameter == nullptr || !IsBakeable(spec.state)) continue;
    absl::StatusOr<ResolvedConfig> config =
        ResolveBake(spec, **node, parameter, index, default_rounding_);
    if (!config.ok()) return config.status();
    config->spec_index = i;
    resolved.push_back(*std::move(config));
  }
  return resolved;
}

}  // namespace qbake
