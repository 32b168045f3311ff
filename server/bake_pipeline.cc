#include "server/bake_pipeline.h"

#include <utility>

#include "core/qdq_export.h"
#include "server/exception_boundary.h"

namespace qbake {
namespace {

// Frees a parameter's bytes that will not be sent back (clear() would keep them).
void FreeData(onnx::TensorProto* tensor) { std::string().swap(*tensor->mutable_raw_data()); }

// The PPQ config document the call's configs came in, if they came in one.
const PpqConfigDocument* DocumentOf(const BakeSettings& settings) {
  return settings.document.has_value() ? &*settings.document : nullptr;
}

}  // namespace

BakePipeline::BakePipeline(ThreadPool* pool, absl::Time start, std::function<bool()> cancelled)
    : pool_(pool), start_(start), cancelled_(std::move(cancelled)) {}

absl::Status BakePipeline::Start(std::unique_ptr<onnx::ModelProto> model, BakeSettings settings,
                                 bool external_follows) {
  model_ = std::move(model);
  settings_ = std::move(settings);
  BakeOptions options = std::move(settings_.options);
  options.cancelled = cancelled_;
  session_ = std::make_unique<BakeSession>(pool_, std::move(options));
  absl::Status prepared = session_->Prepare(model_.get(), settings_.specs);
  if (!prepared.ok()) return prepared;
  const std::vector<PendingParameter>& parameters = session_->parameters();
  for (size_t i = 0; i < parameters.size(); ++i) parameter_of_tensor_[parameters[i].tensor] = i;
  MutexLock lock(&mu_);
  events_.emplace(settings_.chunk_bytes);
  first_failure_.emplace(parameters.size());
  for (const PendingParameter& parameter : parameters) {
    if (!external_follows || parameter.tensor->data_location() != onnx::TensorProto::EXTERNAL) {
      MarkReadyLocked(parameter.tensor);
    }
  }
  return absl::OkStatus();
}

void BakePipeline::MarkReady(absl::Span<onnx::TensorProto* const> tensors) {
  MutexLock lock(&mu_);
  for (onnx::TensorProto* tensor : tensors) MarkReadyLocked(tensor);
}

void BakePipeline::MarkReadyLocked(onnx::TensorProto* tensor) {
  // By the tensor, not its name: a Constant's value tensor may have no name, or
  // another parameter's.
  const auto parameter = parameter_of_tensor_.find(tensor);
  if (parameter == parameter_of_tensor_.end()) {
    if (!settings_.export_options) FreeData(tensor);  // never sent back
    return;
  }
  ready_.push_back(parameter->second);
  ready_bytes_ += tensor->raw_data().size();
}

void BakePipeline::InputComplete() {
  MutexLock lock(&mu_);
  input_complete_ = true;
  input_done_at_ = absl::Now();
}

void BakePipeline::Fail(const absl::Status& status) {
  MutexLock lock(&mu_);
  if (error_.ok()) error_ = status;
}

void BakePipeline::TaskStarted() {
  MutexLock lock(&mu_);
  working_ = true;
}

void BakePipeline::TaskDone() {
  MutexLock lock(&mu_);
  working_ = false;
}

void BakePipeline::WriteDone() {
  MutexLock lock(&mu_);
  writing_ = false;
}

bool BakePipeline::HasRoom() const {
  const uint64_t queued = events_ ? events_->queued_bytes() : 0;
  return queued + ready_bytes_ < kMaxQueuedBytes;
}

double BakePipeline::ReceiveSeconds() const {
  return absl::ToDoubleSeconds(input_done_at_ - start_);
}

void BakePipeline::CloseWhenDone(Steps* steps) {
  if (closed_ || working_ || !input_complete_ || !events_ || !ready_.empty() ||
      !session_->pending().empty()) {
    return;
  }
  closed_ = true;
  if (settings_.export_options) {
    steps->export_model = working_ = true;
  } else {
    events_->Close(&settings_.specs, DocumentOf(settings_), session_->Finish(), ReceiveSeconds());
  }
}

void BakePipeline::DropAfterFailure() {
  while (!ready_.empty() && !first_failure_->Matters(ready_.front())) {
    onnx::TensorProto* tensor = session_->parameters()[ready_.front()].tensor;
    ready_bytes_ -= tensor->raw_data().size();
    FreeData(tensor);
    ready_.pop_front();
  }
}

BakePipeline::Steps BakePipeline::Next(const EventWriter& writer) {
  MutexLock lock(&mu_);
  Steps steps;
  if (!error_.ok()) return steps;
  CloseWhenDone(&steps);
  // The lambda runs at once, under mu_, but the analysis cannot see that: it reaches
  // guarded members through pointers taken here.
  BakeEventQueue* const events = writing_ || !events_ ? nullptr : &*events_;
  v1::BakeEvent* const event = &event_;
  bool next = false;
  absl::Status made = CatchExceptions([&] {
    next = events != nullptr && events->Next(event);
    return next ? writer(*event) : absl::OkStatus();
  });
  if (!made.ok()) {
    error_ = made;
    return steps;
  }
  if (next) writing_ = steps.write = true;
  if (events_) DropAfterFailure();
  if (!working_ && !ready_.empty() && events_->queued_bytes() < kMaxQueuedBytes) {
    steps.bake = ready_.front();
    ready_.pop_front();
    working_ = true;
  }
  steps.read = !input_complete_ && HasRoom();
  return steps;
}

void BakePipeline::Bake(size_t index) {
  const PendingParameter& parameter = session_->parameters()[index];
  const std::string& name = parameter.name;
  onnx::TensorProto* const tensor = parameter.tensor;
  absl::Status baked = CatchExceptions([&] { return session_->BakeParameter(name); });
  MutexLock lock(&mu_);
  ready_bytes_ -= tensor->raw_data().size();
  first_failure_->Settle(index, baked);
  absl::Status sent = first_failure_->Decided();
  if (!first_failure_->failed()) {             // results of a call that will fail are not sent
    BakeEventQueue* const events = &*events_;  // see Next
    sent = CatchExceptions([&] {
      if (settings_.export_options) {
        events->AddParameterInPlace(name, parameter.integer_type, *tensor,
                                    session_->TakeIntegers(name));
      } else {
        events->AddParameter(name, parameter.integer_type, tensor, session_->TakeIntegers(name));
      }
      return absl::OkStatus();
    });
  } else {
    FreeData(tensor);
    session_->TakeIntegers(name);
  }
  if (!sent.ok() && error_.ok()) error_ = sent;
}

void BakePipeline::Export(MemoryBudget::Account* memory) {
  absl::Status exported = CatchExceptions([this, memory]() -> absl::Status {
    uint64_t baked_bytes = 0;
    for (const PendingParameter& parameter : session_->parameters()) {
      baked_bytes += parameter.tensor->ByteSizeLong();
    }
    if (absl::Status charged = memory->Charge(baked_bytes); !charged.ok()) return charged;
    BakeOutcome outcome = session_->Finish();
    absl::StatusOr<QdqExportReport> report =
        ExportQdq(model_.get(), settings_.specs, outcome, *settings_.export_options);
    if (!report.ok()) return report.status();
    MutexLock lock(&mu_);
    absl::Status queued = events_->AddExport(*report, model_.get());
    if (queued.ok())
      events_->Close(&settings_.specs, DocumentOf(settings_), std::move(outcome), ReceiveSeconds());
    return queued;
  });
  if (!exported.ok()) Fail(exported);
}

bool BakePipeline::writing() const {
  MutexLock lock(&mu_);
  return writing_;
}

bool BakePipeline::working() const {
  MutexLock lock(&mu_);
  return working_;
}

std::optional<absl::Status> BakePipeline::Outcome() const {
  MutexLock lock(&mu_);
  if (writing_ || working_) return std::nullopt;
  if (!error_.ok()) return error_;
  if (closed_ && events_->drained()) return absl::OkStatus();
  return std::nullopt;
}

int64_t BakePipeline::parameters() const {
  MutexLock lock(&mu_);
  return events_ ? events_->parameters() : 0;
}

}  // namespace qbake
