#include "client/bake_event_collector.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "client/malformed_reply.h"
#include "core/quant_config.h"
#include "proto/bake_wire.h"
#include "proto/export_wire.h"

namespace qbake {
namespace {

// "config 3 ('conv' / 'w')", for messages.
std::string ConfigText(size_t index, const TensorConfigSpec& spec) {
  return absl::StrCat("config ", index, " ('", spec.operation, "' / '", spec.variable, "')");
}

// A state number of the wire by its name, or as the number when it names none.
std::string StateText(int number) {
  const absl::StatusOr<QuantState> state = StateFromNumber(number);
  return state.ok() ? std::string(StateName(*state)) : absl::StrCat(number);
}

// Why the core does not bake `spec`.
std::string WhyNotBaked(const TensorConfigSpec& spec) {
  if (IsBakeable(spec.state)) {
    return absl::StrCat("'", spec.variable, "' is no parameter of the model");
  }
  return absl::StrCat("its state ", StateName(spec.state), " does not bake");
}

// The update's state before is the spec's; it says baked exactly when the spec
// `bakes`; and its state after (`after`, converted) is then BakedState of the
// spec's, else the spec's own.
absl::Status CheckStates(const std::string& config, const TensorConfigSpec& spec, bool bakes,
                         const v1::ConfigUpdate& update, QuantState after) {
  if (static_cast<int>(update.before()) != static_cast<int>(spec.state)) {
    return MalformedReply(absl::StrCat(config, " came back from state ", StateText(update.before()),
                                       ", sent as ", StateName(spec.state)));
  }
  if (update.baked() && !bakes) {
    return MalformedReply(absl::StrCat(config, " came back baked, but ", WhyNotBaked(spec)));
  }
  if (!update.baked() && bakes) {
    return MalformedReply(absl::StrCat(config, " came back not baked, but its ",
                                       StateName(spec.state), " parameter bakes"));
  }
  const QuantState expected = bakes ? BakedState(spec.state) : spec.state;
  if (after != expected) {
    return MalformedReply(absl::StrCat(config, " came back in state ", StateName(after),
                                       ", expected ", StateName(expected)));
  }
  return absl::OkStatus();
}

// A config that did not bake used no scale.
absl::Status CheckNoScales(const std::string& config, const ConfigOutcome& outcome) {
  if (outcome.scale.empty() && outcome.offset.empty() && !outcome.scale_derived) {
    return absl::OkStatus();
  }
  return MalformedReply(
      absl::StrCat(config, " came back not baked, yet with a scale, zero_point or scale_derived"));
}

// The core bakes with a stated scale as it is (in float32), unless DYNAMIC solves one.
bool ScaleIsStated(const TensorConfigSpec& spec) {
  return (spec.policy & kDynamic) == 0 && !spec.scale.empty();
}

std::vector<float> InFloat32(absl::Span<const double> values) {
  return std::vector<float>(values.begin(), values.end());
}

// A stated scale and zero_point (zeros when none is stated) come back as stated.
absl::Status CheckStatedScales(const std::string& config, const TensorConfigSpec& spec,
                               const ConfigOutcome& outcome) {
  if (outcome.scale != InFloat32(spec.scale)) {
    return MalformedReply(
        absl::StrCat(config, " came back with a scale other than its stated one"));
  }
  const std::vector<float> offset =
      spec.offset.empty() ? std::vector<float>(spec.scale.size(), 0.0f) : InFloat32(spec.offset);
  if (outcome.offset != offset) {
    return MalformedReply(absl::StrCat(
        config, " came back with a zero_point other than its stated one (zeros when none)"));
  }
  return absl::OkStatus();
}

// A baked config used at least one scale and one zero_point per scale, derived or
// solved exactly when not stated.
absl::Status CheckBakedScales(const std::string& config, const TensorConfigSpec& spec,
                              const ConfigOutcome& outcome) {
  if (outcome.scale.empty() || outcome.offset.size() != outcome.scale.size()) {
    return MalformedReply(absl::StrCat(config, " came back baked with ", outcome.scale.size(),
                                       " scales and ", outcome.offset.size(), " zero_points"));
  }
  const bool stated = ScaleIsStated(spec);
  if (outcome.scale_derived == stated) {
    return MalformedReply(absl::StrCat(config, " came back with scale_derived ",
                                       outcome.scale_derived ? "true" : "false", ", its scale is ",
                                       stated ? "stated" : "derived or solved"));
  }
  return stated ? CheckStatedScales(config, spec, outcome) : absl::OkStatus();
}

bool IsOf(const ParameterSummary& parameter, const TensorConfigSpec& spec) {
  return parameter.operation == spec.operation && parameter.variable == spec.variable;
}

// What a server that predates exports (BakeOptions.format, unknown to it) does with
// a request for one: it bakes, and sends the baked tensors.
absl::Status ServerDoesNotExport() {
  return absl::UnimplementedError(
      "qbake-server answered a request for an export with baked tensors: it predates the "
      "export (BakeOptions.format; ServerInfo.export_formats lists what a server exports); "
      "upgrade it, or bake without --server");
}

}  // namespace

absl::Status BakeEventCollector::Add(const v1::BakeEvent& event) {
  if (summary_) return MalformedReply("an event after the summary");
  switch (event.event_case()) {
    case v1::BakeEvent::kTensor:
      if (exported_) return ServerDoesNotExport();
      return tensors_.Add(event.tensor());
    case v1::BakeEvent::kExportReport:
    case v1::BakeEvent::kModel:
    case v1::BakeEvent::kExportedTensor:
      return AddExportEvent(event);
    case v1::BakeEvent::kConfig:
      return AddConfig(event.config());
    case v1::BakeEvent::kIntegers:
      return MalformedReply(absl::StrCat("an IntegerChunk for '", event.integers().name(),
                                         "', which the request did not ask for"));
    case v1::BakeEvent::kConfigDocument:  // this client sends typed configs, never a document
      return MalformedReply("a ConfigDocumentChunk, for a request that sent no ppq_config_json");
    case v1::BakeEvent::kSummary:
      return AddSummary(event.summary());
    case v1::BakeEvent::EVENT_NOT_SET:
      break;
  }
  return MalformedReply("an empty event");
}

absl::Status BakeEventCollector::AddExportEvent(const v1::BakeEvent& event) {
  if (!exported_) return MalformedReply("an export's event, which the request did not ask for");
  switch (event.event_case()) {
    case v1::BakeEvent::kExportReport:
      if (export_report_) return MalformedReply("a second ExportReport");
      export_report_ = ExportReportFromWire(event.export_report());
      return absl::OkStatus();
    case v1::BakeEvent::kModel:
      if (!export_report_) return MalformedReply("a ModelChunk before the ExportReport");
      return exported_model_.Add(event.model());
    default:
      return exported_model_.Add(event.exported_tensor());
  }
}

absl::Status BakeEventCollector::AddConfig(const v1::ConfigUpdate& update) {
  const uint32_t index = update.index();
  if (index >= configs_.size() || configs_[index]) {
    return MalformedReply(absl::StrCat("a second or out-of-range update of config ", index));
  }
  const TensorConfigSpec& spec = specs_[index];
  if (update.operation() != spec.operation || update.variable() != spec.variable) {
    return MalformedReply(absl::StrCat("config ", index, " updated as '", update.operation(),
                                       "' / '", update.variable(), "', sent as '", spec.operation,
                                       "' / '", spec.variable, "'"));
  }
  absl::StatusOr<ConfigOutcome> outcome = ConfigOutcomeFromWire(update);
  if (!outcome.ok()) return MalformedReply(outcome.status().message());
  const std::string config = ConfigText(index, spec);
  absl::Status checked =
      CheckStates(config, spec, tensors_.Bakes(spec), update, outcome->state_after);
  if (checked.ok()) {
    checked =
        outcome->baked ? CheckBakedScales(config, spec, *outcome) : CheckNoScales(config, *outcome);
  }
  if (!checked.ok()) return checked;
  configs_[index] = *std::move(outcome);
  return absl::OkStatus();
}

absl::Status BakeEventCollector::AddSummary(const v1::BakeSummary& summary) {
  absl::StatusOr<BakeSummary> converted = SummaryFromWire(summary);
  if (!converted.ok()) return MalformedReply(converted.status().message());
  summary_ = *std::move(converted);
  return absl::OkStatus();
}

absl::Status BakeEventCollector::CheckComplete() const {
  if (!summary_) return MalformedReply("the reply ended without a summary");
  for (size_t i = 0; i < configs_.size(); ++i) {
    if (!configs_[i]) return MalformedReply(absl::StrCat("no update of config ", i));
  }
  return absl::OkStatus();
}

absl::Status BakeEventCollector::CheckSummaryParameters() const {
  const std::vector<ParameterSummary>& listed = summary_->parameters;
  size_t next = 0;  // the entry of `listed` for the next baked config
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (!configs_[i]->baked) continue;
    if (next == listed.size() || !IsOf(listed[next], specs_[i])) {
      return UnexpectedSummaryParameter(next, i);
    }
    absl::Status checked = CheckSummaryParameter(listed[next], i);
    if (!checked.ok()) return checked;
    ++next;
  }
  if (next < listed.size()) return UnexpectedSummaryParameter(next, specs_.size());
  return absl::OkStatus();
}

absl::Status BakeEventCollector::CheckSummaryParameter(const ParameterSummary& parameter,
                                                       size_t config) const {
  const TensorConfigSpec& spec = specs_[config];
  const std::optional<BakedTensorAssembly::WholeTensor> tensor =
      exported_ ? tensors_.AsRequested(spec.variable) : tensors_.Whole(spec.variable);
  if (!tensor) {
    return MalformedReply(
        absl::StrCat("parameter '", spec.variable, "' was baked but did not arrive whole"));
  }
  struct Field {
    absl::string_view name;
    std::string listed;
    std::string expected;
  };
  const Field fields[] = {
      {"before", std::string(StateName(parameter.state_before)),
       std::string(StateName(spec.state))},
      {"after", std::string(StateName(parameter.state_after)),
       std::string(StateName(BakedState(spec.state)))},
      {"data_type", absl::StrCat(parameter.data_type), absl::StrCat(tensor->data_type)},
      {"elements", absl::StrCat(parameter.elements), absl::StrCat(tensor->elements)},
      {"bytes", absl::StrCat(parameter.bytes), absl::StrCat(tensor->bytes)},
  };
  for (const Field& field : fields) {
    if (field.listed == field.expected) continue;
    return MalformedReply(absl::StrCat("the summary gives parameter '", spec.variable,
                                       "' of config ", config, " ", field.name, " ", field.listed,
                                       ", expected ", field.expected));
  }
  return absl::OkStatus();
}

absl::Status BakeEventCollector::UnexpectedSummaryParameter(size_t listed,
                                                            size_t expected_config) const {
  if (listed < summary_->parameters.size()) {
    const ParameterSummary& parameter = summary_->parameters[listed];
    const std::optional<size_t> config = BakedConfigOf(parameter);
    if (!config) {
      return MalformedReply(absl::StrCat("the summary lists parameter '", parameter.variable,
                                         "' of '", parameter.operation,
                                         "', which no config baked"));
    }
    if (*config < expected_config) {
      return MalformedReply(absl::StrCat("the summary lists parameter '", parameter.variable,
                                         "' of config ", *config, " twice"));
    }
  }
  return MalformedReply(absl::StrCat("the summary does not list parameter '",
                                     specs_[expected_config].variable, "' of config ",
                                     expected_config, ", which was baked"));
}

std::optional<size_t> BakeEventCollector::BakedConfigOf(const ParameterSummary& parameter) const {
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (configs_[i]->baked && IsOf(parameter, specs_[i])) return i;
  }
  return std::nullopt;
}

absl::Status BakeEventCollector::CheckSummaryCounts() const {
  // As BakeSession::Finish counts them: a config left BAKED counts as baked, whether
  // this bake baked it or an earlier one.
  int64_t baked = 0;
  int64_t passive_baked = 0;
  int64_t unchanged = 0;
  for (const std::optional<ConfigOutcome>& config : configs_) {
    if (config->state_after == QuantState::kBaked) {
      ++baked;
    } else if (config->baked) {
      ++passive_baked;
    } else {
      ++unchanged;
    }
  }
  int64_t bytes = 0;
  for (const ParameterSummary& parameter : summary_->parameters) bytes += parameter.bytes;
  struct Count {
    absl::string_view field;
    int64_t listed;
    int64_t expected;
  };
  const Count counts[] = {
      {"configs", summary_->configs, static_cast<int64_t>(specs_.size())},
      {"baked", summary_->baked, baked},
      {"passive_baked", summary_->passive_baked, passive_baked},
      {"unchanged", summary_->unchanged, unchanged},
      {"bytes", summary_->bytes, bytes},
  };
  for (const Count& count : counts) {
    if (count.listed == count.expected) continue;
    return MalformedReply(absl::StrCat("the summary's ", count.field, " is ", count.listed,
                                       ", expected ", count.expected));
  }
  return absl::OkStatus();
}

absl::Status BakeEventCollector::WriteModel() {
  if (!exported_) return tensors_.WriteInto();
  if (!export_report_) return MalformedReply("the reply to an export ended without its report");
  absl::StatusOr<onnx::ModelProto> model = exported_model_.Take();
  if (!model.ok()) return model.status();
  *model_ = *std::move(model);
  return absl::OkStatus();
}

absl::StatusOr<BakeOutcome> BakeEventCollector::Finish() {
  absl::Status sound = CheckComplete();
  if (sound.ok()) sound = CheckSummaryParameters();
  if (sound.ok()) sound = CheckSummaryCounts();
  if (sound.ok()) sound = WriteModel();
  if (!sound.ok()) return sound;
  BakeOutcome outcome;
  for (std::optional<ConfigOutcome>& config : configs_)
    outcome.configs.push_back(*std::move(config));
  outcome.summary = *std::move(summary_);
  return outcome;
}

}  // namespace qbake
