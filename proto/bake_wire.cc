#include "proto/bake_wire.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/config_error.h"

namespace qbake {
namespace {

template <typename Repeated>
std::vector<double> Doubles(const Repeated& values) {
  return std::vector<double>(values.begin(), values.end());
}

template <typename Values, typename Repeated>
void CopyFloats(const Values& values, Repeated* out) {
  for (auto v : values) out->Add(static_cast<float>(v));
}

absl::StatusOr<QuantState> StateFromWire(int number, absl::string_view operation,
                                         absl::string_view variable, absl::string_view field) {
  absl::StatusOr<QuantState> state = StateFromNumber(number);
  if (!state.ok()) return ConfigError(operation, variable, field, state.status().message());
  return state;
}

}  // namespace

absl::StatusOr<TensorConfigSpec> SpecFromWire(const v1::TensorQuantConfig& wire) {
  TensorConfigSpec spec;
  spec.operation = wire.operation();
  spec.variable = wire.variable();
  spec.policy = wire.policy();
  spec.num_of_bits = wire.bit_width();
  spec.quant_min = wire.quant_min();
  spec.quant_max = wire.quant_max();
  absl::StatusOr<QuantState> state =
      StateFromWire(wire.state(), spec.operation, spec.variable, "state");
  if (!state.ok()) return state.status();
  spec.state = *state;
  if (wire.has_rounding()) {
    absl::StatusOr<Rounding> rounding = RoundingFromNumber(wire.rounding());
    if (!rounding.ok()) {
      return ConfigError(spec.operation, spec.variable, "rounding", rounding.status().message());
    }
    spec.rounding = *rounding;
  }
  if (wire.has_platform()) spec.platform = wire.platform();
  if (wire.has_channel_axis()) spec.channel_axis = wire.channel_axis();
  if (wire.has_exponent_bits()) spec.exponent_bits = wire.exponent_bits();
  spec.scale = Doubles(wire.scale());
  spec.offset = Doubles(wire.zero_point());
  return spec;
}

v1::TensorQuantConfig SpecToWire(const TensorConfigSpec& spec) {
  v1::TensorQuantConfig wire;
  wire.set_operation(spec.operation);
  wire.set_variable(spec.variable);
  wire.set_policy(spec.policy);
  wire.set_bit_width(spec.num_of_bits);
  wire.set_quant_min(spec.quant_min);
  wire.set_quant_max(spec.quant_max);
  wire.set_state(static_cast<v1::QuantState>(spec.state));
  if (spec.rounding) wire.set_rounding(static_cast<v1::Rounding>(*spec.rounding));
  if (spec.platform) wire.set_platform(*spec.platform);
  if (spec.channel_axis) wire.set_channel_axis(*spec.channel_axis);
  if (spec.exponent_bits) wire.set_exponent_bits(*spec.exponent_bits);
  CopyFloats(spec.scale, wire.mutable_scale());
  CopyFloats(spec.offset, wire.mutable_zero_point());
  return wire;
}

absl::StatusOr<BakeOptions> OptionsFromWire(const v1::BakeOptions& wire) {
  BakeOptions options;
  if (wire.has_default_rounding()) {
    absl::StatusOr<Rounding> rounding = RoundingFromNumber(wire.default_rounding());
    if (!rounding.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("options, field 'default_rounding': ", rounding.status().message()));
    }
    options.default_rounding = *rounding;
  }
  options.want_integers = wire.want_integers();
  return options;
}

v1::BakeOptions OptionsToWire(const BakeOptions& options) {
  v1::BakeOptions wire;
  wire.set_default_rounding(static_cast<v1::Rounding>(options.default_rounding));
  wire.set_want_integers(options.want_integers);
  return wire;
}

v1::ConfigUpdate ConfigUpdateToWire(size_t index, const TensorConfigSpec& spec,
                                    const ConfigOutcome& outcome) {
  v1::ConfigUpdate wire;
  wire.set_index(static_cast<uint32_t>(index));
  wire.set_operation(spec.operation);
  wire.set_variable(spec.variable);
  wire.set_before(static_cast<v1::QuantState>(spec.state));
  wire.set_after(static_cast<v1::QuantState>(outcome.state_after));
  wire.set_baked(outcome.baked);
  CopyFloats(outcome.scale, wire.mutable_scale());
  CopyFloats(outcome.offset, wire.mutable_zero_point());
  wire.set_scale_derived(outcome.scale_derived);
  return wire;
}

absl::StatusOr<ConfigOutcome> ConfigOutcomeFromWire(const v1::ConfigUpdate& wire) {
  absl::StatusOr<QuantState> after =
      StateFromWire(wire.after(), wire.operation(), wire.variable(), "after");
  if (!after.ok()) return after.status();
  ConfigOutcome outcome;
  outcome.state_after = *after;
  outcome.baked = wire.baked();
  outcome.scale.assign(wire.scale().begin(), wire.scale().end());
  outcome.offset.assign(wire.zero_point().begin(), wire.zero_point().end());
  outcome.scale_derived = wire.scale_derived();
  return outcome;
}

namespace {

v1::ParameterSummary ParameterToWire(const ParameterSummary& parameter) {
  v1::ParameterSummary wire;
  wire.set_operation(parameter.operation);
  wire.set_variable(parameter.variable);
  wire.set_before(static_cast<v1::QuantState>(parameter.state_before));
  wire.set_after(static_cast<v1::QuantState>(parameter.state_after));
  wire.set_data_type(parameter.data_type);
  wire.set_elements(parameter.elements);
  wire.set_bytes(parameter.bytes);
  wire.set_max_abs_error(parameter.max_abs_error);
  wire.set_mean_squared_error(parameter.mean_squared_error);
  return wire;
}

absl::StatusOr<ParameterSummary> ParameterFromWire(const v1::ParameterSummary& wire) {
  ParameterSummary parameter;
  parameter.operation = wire.operation();
  parameter.variable = wire.variable();
  absl::StatusOr<QuantState> before =
      StateFromWire(wire.before(), wire.operation(), wire.variable(), "before");
  if (!before.ok()) return before.status();
  absl::StatusOr<QuantState> after =
      StateFromWire(wire.after(), wire.operation(), wire.variable(), "after");
  if (!after.ok()) return after.status();
  parameter.state_before = *before;
  parameter.state_after = *after;
  parameter.data_type = wire.data_type();
  parameter.elements = wire.elements();
  parameter.bytes = wire.bytes();
  parameter.max_abs_error = wire.max_abs_error();
  parameter.mean_squared_error = wire.mean_squared_error();
  return parameter;
}

}  // namespace

v1::BakeSummary SummaryToWire(const BakeSummary& summary) {
  v1::BakeSummary wire;
  wire.set_configs(summary.configs);
  wire.set_baked(summary.baked);
  wire.set_passive_baked(summary.passive_baked);
  wire.set_unchanged(summary.unchanged);
  wire.set_bytes(summary.bytes);
  wire.set_bake_seconds(summary.bake_seconds);
  for (const ParameterSummary& p : summary.parameters) *wire.add_parameters() = ParameterToWire(p);
  return wire;
}

absl::StatusOr<BakeSummary> SummaryFromWire(const v1::BakeSummary& wire) {
  BakeSummary summary;
  summary.configs = wire.configs();
  summary.baked = wire.baked();
  summary.passive_baked = wire.passive_baked();
  summary.unchanged = wire.unchanged();
  summary.bytes = wire.bytes();
  summary.bake_seconds = wire.bake_seconds();
  for (const v1::ParameterSummary& p : wire.parameters()) {
    absl::StatusOr<ParameterSummary> parameter = ParameterFromWire(p);
    if (!parameter.ok()) return parameter.status();
    summary.parameters.push_back(*std::move(parameter));
  }
  return summary;
}

v1::IntegerType IntegerTypeToWire(IntegerType type) {
  switch (type) {
    case IntegerType::kInt8:
      return v1::INT8;
    case IntegerType::kUInt8:
      return v1::UINT8;
    case IntegerType::kInt32:
      return v1::INT32;
  }
  return v1::INTEGER_TYPE_UNSPECIFIED;
}

}  // namespace qbake
