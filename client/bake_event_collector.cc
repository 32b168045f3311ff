#include "client/bake_event_collector.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/malformed_reply.h"
#include "proto/bake_wire.h"

namespace qbake {

absl::Status BakeEventCollector::Add(const v1::BakeEvent& event) {
  if (summary_) return MalformedReply("an event after the summary");
  switch (event.event_case()) {
    case v1::BakeEvent::kTensor:
      return tensors_.Add(event.tensor());
    case v1::BakeEvent::kConfig:
      return AddConfig(event.config());
    case v1::BakeEvent::kIntegers:
      return absl::OkStatus();
    case v1::BakeEvent::kSummary:
      return AddSummary(event.summary());
    case v1::BakeEvent::EVENT_NOT_SET:
      break;
  }
  return MalformedReply("an empty event");
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
  for (const ParameterSummary& parameter : summary_->parameters) {
    if (!tensors_.IsWhole(parameter.variable)) {
      return MalformedReply(
          absl::StrCat("parameter '", parameter.variable, "' was baked but did not arrive whole"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<BakeOutcome> BakeEventCollector::Finish() {
  absl::Status complete = CheckComplete();
  if (!complete.ok()) return complete;
  absl::Status written = tensors_.WriteInto();
  if (!written.ok()) return written;
  BakeOutcome outcome;
  for (std::optional<ConfigOutcome>& config : configs_)
    outcome.configs.push_back(*std::move(config));
  outcome.summary = *std::move(summary_);
  return outcome;
}

}  // namespace qbake
