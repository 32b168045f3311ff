#include "server/bake_call_reactor.h"

#include <chrono>
#include <utility>

#include "absl/time/clock.h"
#include "core/graph_index.h"
#include "proto/status_mapping.h"
#include "server/byte_buffer_messages.h"
#include "server/exception_boundary.h"
#include "server/grpc_hand_off.h"

namespace qbake {
namespace {

// Frees a parameter's bytes that will not be sent back (clear() would keep them).
void FreeData(onnx::TensorProto* tensor) { std::string().swap(*tensor->mutable_raw_data()); }

}  // namespace

template <typename Base>
BakeCallReactor<Base>::BakeCallReactor(const CallEnvironment& env,
                                       grpc::CallbackServerContext* context, std::string method)
    : env_(env),
      context_(context),
      start_(absl::Now()),
      memory_(env.memory),
      last_progress_(start_) {
  env_.live_calls->Enter();
  record_.identity = IdentifyCall(context);
  record_.method = std::move(method);
  record_.peer = context->peer();
  env_.watchdog->Register(this);
}

template <typename Base>
void BakeCallReactor<Base>::Admit(std::function<void()> start) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queued_ = true;
  }
  const CallAdmission::WaiterId waiter = env_.admission->Admit(
      absl::FromChrono(context_->deadline()),
      [this, start = std::move(start)](absl::StatusOr<CallAdmission::Ticket> ticket) {
        Admitted(std::move(ticket), start);
      });
  std::lock_guard<std::mutex> lock(mu_);
  if (queued_) waiter_ = waiter;
}

template <typename Base>
void BakeCallReactor<Base>::Admitted(absl::StatusOr<CallAdmission::Ticket> ticket,
                                     const std::function<void()>& start) {
  const absl::Status decision = ticket.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    record_.queued_seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    last_progress_ = absl::Now();
    if (decision.ok()) {
      ticket_ = *std::move(ticket);
      // Inside, as Advance: the call cannot finish (and be deleted) meanwhile.
      ++advancing_;
    } else {
      finished_ = true;
      record_.status = decision;
    }
    queued_ = false;
  }
  if (!decision.ok()) return FinishCall(decision);
  // Cancelled while it waited: EndAdvance finishes it.
  if (!cancelled()) {
    // The response headers go out now, not with the first event: a client sees that
    // its call holds a place (and so would finish within a drain's grace period).
    HandOffToGrpc(this);
    this->StartSendInitialMetadata();
    start();
  }
  EndAdvance();
}

template <typename Base>
void BakeCallReactor<Base>::FinishCall(const absl::Status& status) {
  if (const std::optional<absl::Duration> delay = RetryDelay(status)) {
    context_->AddTrailingMetadata("grpc-retry-pushback-ms",
                                  std::to_string(absl::ToInt64Milliseconds(*delay)));
  }
  // Nothing of the call may be touched after Finish: OnDone may delete it at once.
  HandOffToGrpc(this);
  this->Finish(ToGrpcStatus(status));
}

template <typename Base>
void BakeCallReactor<Base>::RunOnPool(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    working_ = true;
  }
  env_.pool->Schedule([this, task = std::move(task)] {
    if (!cancelled()) {
      absl::Status ran = CatchExceptions([&task] {
        task();
        return absl::OkStatus();
      });
      if (!ran.ok()) Fail(ran);
    }
    Advance(/*pool_task_done=*/true);
  });
}

template <typename Base>
void BakeCallReactor<Base>::StartBake(std::unique_ptr<onnx::ModelProto> model,
                                      BakeSettings settings, bool external_follows) {
  model_ = std::move(model);
  settings_ = std::move(settings);
  BakeOptions options = std::move(settings_.options);
  options.cancelled = [this] { return cancelled(); };
  session_ = std::make_unique<BakeSession>(env_.pool, std::move(options));
  absl::Status prepared = session_->Prepare(model_.get(), settings_.specs);
  if (!prepared.ok()) return Fail(prepared);
  GraphIndex graph(model_->mutable_graph());
  // The first spec that bakes each variable (the one whose integers are typed).
  absl::flat_hash_map<absl::string_view, const TensorConfigSpec*> baking_spec;
  for (const TensorConfigSpec& spec : settings_.specs) {
    if (BakedState(spec.state) != spec.state) baking_spec.try_emplace(spec.variable, &spec);
  }
  for (const std::string& name : session_->pending()) {
    onnx::TensorProto* tensor = graph.FindParameter(name)->tensor;
    parameters_[name] = {tensor, baking_spec[name]};
    parameter_of_tensor_[tensor] = name;
    config_order_.emplace(name, config_order_.size());
  }
  std::lock_guard<std::mutex> lock(mu_);
  events_.emplace(settings_.chunk_bytes);
  first_failure_.emplace(config_order_.size());
  for (const std::string& name : session_->pending()) {
    onnx::TensorProto* tensor = parameters_[name].first;
    if (!external_follows || tensor->data_location() != onnx::TensorProto::EXTERNAL) {
      MarkReadyLocked(tensor);
    }
  }
}

template <typename Base>
void BakeCallReactor<Base>::MarkReady(absl::Span<onnx::TensorProto* const> tensors) {
  std::lock_guard<std::mutex> lock(mu_);
  for (onnx::TensorProto* tensor : tensors) MarkReadyLocked(tensor);
}

template <typename Base>
void BakeCallReactor<Base>::MarkReadyLocked(onnx::TensorProto* tensor) {
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

template <typename Base>
void BakeCallReactor<Base>::InputComplete() {
  std::lock_guard<std::mutex> lock(mu_);
  input_complete_ = true;
  input_done_at_ = absl::Now();
}

template <typename Base>
void BakeCallReactor<Base>::Fail(const absl::Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error_.ok()) error_ = status;
}

template <typename Base>
absl::Status BakeCallReactor<Base>::TakeIn(uint64_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    record_.bytes_in += bytes;
  }
  return memory_.Charge(bytes);
}

template <typename Base>
bool BakeCallReactor<Base>::has_room() const {
  const uint64_t queued = events_ ? events_->queued_bytes() : 0;
  return queued + ready_bytes_ < kMaxQueuedBytes;
}

template <typename Base>
typename BakeCallReactor<Base>::Steps BakeCallReactor<Base>::NextSteps() {
  Steps steps;
  if (finished_) return steps;
  if (cancelled() && error_.ok()) error_ = StopStatus();
  if (!error_.ok()) return steps;
  if (!closed_ && !working_ && input_complete_ && ready_.empty() && session_->pending().empty()) {
    closed_ = true;
    if (settings_.export_options) {
      steps.export_model = working_ = true;
    } else {
      events_->Close(&settings_.specs, session_->Finish(),
                     absl::ToDoubleSeconds(input_done_at_ - start_));
    }
  }
  bool next = false;
  absl::Status made = CatchExceptions([&] {
    next = !writing_ && events_ && events_->Next(&event_);
    return next ? SerializeToByteBuffer(event_, &event_bytes_) : absl::OkStatus();
  });
  if (!made.ok()) {
    error_ = made;
    return steps;
  }
  if (next) {
    writing_ = steps.write = true;
    record_.bytes_out += event_bytes_.Length();
  }
  // Parameters after a held failure are not baked: they cannot change the answer.
  while (!ready_.empty() && !first_failure_->Matters(config_order_[ready_.front()])) {
    onnx::TensorProto* tensor = parameters_[ready_.front()].first;
    ready_bytes_ -= tensor->raw_data().size();
    FreeData(tensor);
    ready_.pop_front();
  }
  if (!working_ && !ready_.empty() && events_->queued_bytes() < kMaxQueuedBytes) {
    steps.bake = ready_.front();
    ready_.pop_front();
    working_ = true;
  }
  steps.read = !input_complete_ && has_room();
  return steps;
}

template <typename Base>
std::optional<absl::Status> BakeCallReactor<Base>::FinishStatus() {
  if (finished_ || queued_ || advancing_ > 0 || writing_ || working_) return std::nullopt;
  if (cancelled() && error_.ok()) error_ = StopStatus();
  if (error_.ok() && !(closed_ && events_->drained())) return std::nullopt;
  if (error_.ok()) record_.parameters = events_->parameters();
  finished_ = true;
  record_.status = error_;
  return error_;
}

template <typename Base>
void BakeCallReactor<Base>::Advance(bool pool_task_done) {
  Steps steps;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pool_task_done) working_ = false;
    last_progress_ = absl::Now();
    ++advancing_;
    steps = NextSteps();
  }
  if (steps.write) {
    HandOffToGrpc(this);
    this->StartWrite(&event_bytes_);
  }
  if (steps.bake) {
    env_.pool->Schedule([this, name = *steps.bake] { BakeParameter(name); });
  }
  if (steps.export_model) env_.pool->Schedule([this] { ExportModel(); });
  if (steps.read) ReadMore();
  EndAdvance();
}

template <typename Base>
void BakeCallReactor<Base>::EndAdvance() {
  std::optional<absl::Status> finish;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --advancing_;
    finish = FinishStatus();
  }
  if (!finish) return;
  // Free the call's place and memory before the client can see its status, so the
  // client's next call is never refused on account of this one.
  {
    std::lock_guard<std::mutex> lock(mu_);
    ticket_ = CallAdmission::Ticket();
  }
  memory_.Release();
  FinishCall(*finish);
}

template <typename Base>
bool BakeCallReactor<Base>::StalledSince(absl::Time cutoff) {
  std::lock_guard<std::mutex> lock(mu_);
  return !finished_ && !queued_ && !working_ && last_progress_ < cutoff;
}

template <typename Base>
void BakeCallReactor<Base>::EndStalled(const absl::Status& status) {
  bool cancel = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    stalled_ = true;
    if (error_.ok()) error_ = status;
    // Inside, as Advance: the call cannot finish (and its context go) meanwhile.
    ++advancing_;
    cancel = writing_;
  }
  // A write the client does not take would never complete: cancelling fails it.
  if (cancel) {
    HandOffToGrpc(this);
    context_->TryCancel();
  }
  EndAdvance();
}

template <typename Base>
void BakeCallReactor<Base>::OnSendInitialMetadataDone(bool /*ok*/) {
  TakeBackFromGrpc(this);
}

template <typename Base>
void BakeCallReactor<Base>::Release() {
  if (holds_.fetch_sub(1) != 1) return;
  LiveCalls* const live_calls = env_.live_calls;
  delete this;
  live_calls->Leave();
}

template <typename Base>
void BakeCallReactor<Base>::BakeParameter(const std::string& name) {
  absl::Status baked = CatchExceptions([&] { return session_->BakeParameter(name); });
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto& [tensor, spec] = parameters_[name];
    ready_bytes_ -= tensor->raw_data().size();
    first_failure_->Settle(config_order_[name], baked);
    absl::Status sent = first_failure_->Decided();
    if (!first_failure_->failed()) {  // results of a call that will fail are not sent
      sent = CatchExceptions([&, tensor = tensor, spec = spec] {
        if (settings_.export_options) {
          events_->AddParameterInPlace(name, *spec, *tensor, session_->TakeIntegers(name));
        } else {
          events_->AddParameter(name, *spec, tensor, session_->TakeIntegers(name));
        }
        return absl::OkStatus();
      });
    } else {
      FreeData(tensor);
      session_->TakeIntegers(name);
    }
    if (!sent.ok() && error_.ok()) error_ = sent;
  }
  Advance(/*pool_task_done=*/true);
}

template <typename Base>
void BakeCallReactor<Base>::ExportModel() {
  absl::Status exported = CatchExceptions([this]() -> absl::Status {
    uint64_t baked_bytes = 0;
    for (const auto& [name, parameter] : parameters_)
      baked_bytes += parameter.first->ByteSizeLong();
    if (absl::Status charged = memory_.Charge(baked_bytes); !charged.ok()) return charged;
    BakeOutcome outcome = session_->Finish();
    absl::StatusOr<QdqExportReport> report =
        ExportQdq(model_.get(), settings_.specs, outcome, *settings_.export_options);
    if (!report.ok()) return report.status();
    std::lock_guard<std::mutex> lock(mu_);
    absl::Status queued = events_->AddExport(*report, model_.get());
    if (queued.ok()) {
      events_->Close(&settings_.specs, std::move(outcome),
                     absl::ToDoubleSeconds(input_done_at_ - start_));
    }
    return queued;
  });
  if (!exported.ok()) Fail(exported);
  Advance(/*pool_task_done=*/true);
}

template <typename Base>
void BakeCallReactor<Base>::OnWriteDone(bool ok) {
  TakeBackFromGrpc(this);
  {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok && error_.ok()) error_ = StopStatus();
  }
  Advance();
}

// The client's timer usually fires first and cancels the call; the server's copy of
// the deadline lies later by the request's transit time. A cancellation this close
// to the deadline counts as the deadline passing.
constexpr std::chrono::milliseconds kDeadlineSlack(250);

template <typename Base>
absl::Status BakeCallReactor<Base>::StopStatus() const {
  if (context_->deadline() <= std::chrono::system_clock::now() + kDeadlineSlack) {
    return absl::DeadlineExceededError("the call's deadline passed");
  }
  return absl::CancelledError("the call was cancelled");
}

template <typename Base>
void BakeCallReactor<Base>::OnCancel() {
  TakeBackFromGrpc(this);
  cancelled_.store(true);
  {
    // A call that leaves the queue is decided here; else its decision is on its way.
    std::lock_guard<std::mutex> lock(mu_);
    if (queued_ && waiter_ != 0 && env_.admission->Withdraw(waiter_)) queued_ = false;
  }
  Advance();
}

template <typename Base>
void BakeCallReactor<Base>::OnDone() {
  TakeBackFromGrpc(this);
  CallRecord record;
  bool stalled = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    record = record_;
    stalled = stalled_;
  }
  // A cancelled call ended for the client as cancelled, whatever the server finished
  // it with (unless the server cancelled it for stalling).
  if (cancelled() && !stalled) record.status = StopStatus();
  record.seconds = absl::ToDoubleSeconds(absl::Now() - start_);
  env_.RecordEndedCall(record);
  env_.watchdog->Unregister(this);
  Release();
}

template class BakeCallReactor<grpc::ServerWriteReactor<grpc::ByteBuffer>>;
template class BakeCallReactor<grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>>;

}  // namespace qbake
