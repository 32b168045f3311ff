#include "server/bake_call_reactor.h"

#include <chrono>
#include <utility>

#include "absl/time/clock.h"
#include "proto/status_mapping.h"
#include "server/byte_buffer_messages.h"
#include "server/exception_boundary.h"
#include "server/grpc_hand_off.h"

namespace qbake {
template <typename Base>
BakeCallReactor<Base>::BakeCallReactor(const CallEnvironment& env,
                                       grpc::CallbackServerContext* context, std::string method)
    : env_(env),
      context_(context),
      start_(absl::Now()),
      memory_(env.memory),
      last_progress_(start_),
      pipeline_(env.pool, start_, [this] { return cancelled(); }) {
  env_.live_calls->Enter();
  record_.identity = IdentifyCall(context);
  record_.method = std::move(method);
  record_.peer = context->peer();
}

template <typename Base>
void BakeCallReactor<Base>::Admit(std::function<void()> start) {
  env_.watchdog->Register(this);
  {
    MutexLock lock(&mu_);
    queued_ = true;
  }
  const CallAdmission::WaiterId waiter = env_.admission->Admit(
      absl::FromChrono(context_->deadline()),
      [this, start = std::move(start)](absl::StatusOr<CallAdmission::Ticket> ticket) {
        Admitted(std::move(ticket), start);
      });
  MutexLock lock(&mu_);
  if (queued_) waiter_ = waiter;
}

template <typename Base>
void BakeCallReactor<Base>::Admitted(absl::StatusOr<CallAdmission::Ticket> ticket,
                                     const std::function<void()>& start) {
  const absl::Status decision = ticket.status();
  {
    MutexLock lock(&mu_);
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
  pipeline_.TaskStarted();
  RunPipelineTask(std::move(task));
}

template <typename Base>
void BakeCallReactor<Base>::RunPipelineTask(const std::function<void()>& task) {
  // The task holds the call: a reaction may start it just as another thread finishes
  // the call (the watchdog, a cancellation), and OnDone must not delete it meanwhile.
  Hold();
  env_.pool->Schedule([this, task] {
    if (!cancelled()) {
      absl::Status ran = CatchExceptions([&task] {
        task();
        return absl::OkStatus();
      });
      if (!ran.ok()) Fail(ran);
    }
    Advance(/*pool_task_done=*/true);
    Release();
  });
}

template <typename Base>
void BakeCallReactor<Base>::StartBake(std::unique_ptr<onnx::ModelProto> model,
                                      BakeSettings settings, bool external_follows) {
  absl::Status started = pipeline_.Start(std::move(model), std::move(settings), external_follows);
  if (!started.ok()) Fail(started);
}

template <typename Base>
absl::Status BakeCallReactor<Base>::TakeIn(uint64_t bytes) {
  {
    MutexLock lock(&mu_);
    record_.bytes_in += bytes;
  }
  return memory_.Charge(bytes);
}

template <typename Base>
std::optional<absl::Status> BakeCallReactor<Base>::FinishStatus() {
  if (finished_ || queued_ || advancing_ > 0) return std::nullopt;
  if (cancelled()) pipeline_.Fail(StopStatus());
  std::optional<absl::Status> outcome = pipeline_.Outcome();
  if (!outcome) return std::nullopt;
  if (outcome->ok()) record_.parameters = pipeline_.parameters();
  finished_ = true;
  record_.status = *outcome;
  return outcome;
}

template <typename Base>
void BakeCallReactor<Base>::Advance(bool pool_task_done) {
  BakePipeline::Steps steps;
  {
    MutexLock lock(&mu_);
    if (pool_task_done) pipeline_.TaskDone();
    last_progress_ = absl::Now();
    ++advancing_;
    if (!finished_) {
      if (cancelled()) pipeline_.Fail(StopStatus());
      steps = pipeline_.Next([this](const v1::BakeEvent& event) {
        return SerializeToByteBuffer(event, &event_bytes_);
      });
      if (steps.write) record_.bytes_out += event_bytes_.Length();
    }
  }
  if (steps.write) {
    HandOffToGrpc(this);
    this->StartWrite(&event_bytes_);
  }
  if (steps.bake) RunPipelineTask([this, index = *steps.bake] { pipeline_.Bake(index); });
  if (steps.export_model) RunPipelineTask([this] { pipeline_.Export(&memory_); });
  if (steps.read) ReadMore();
  EndAdvance();
}

template <typename Base>
void BakeCallReactor<Base>::EndAdvance() {
  std::optional<absl::Status> finish;
  {
    MutexLock lock(&mu_);
    --advancing_;
    finish = FinishStatus();
  }
  if (!finish) return;
  // Free the call's place and memory before the client can see its status, so the
  // client's next call is never refused on account of this one.
  {
    MutexLock lock(&mu_);
    ticket_ = CallAdmission::Ticket();
  }
  memory_.Release();
  FinishCall(*finish);
}

template <typename Base>
bool BakeCallReactor<Base>::StalledSince(absl::Time cutoff) {
  MutexLock lock(&mu_);
  return !finished_ && !queued_ && !pipeline_.working() && last_progress_ < cutoff;
}

template <typename Base>
void BakeCallReactor<Base>::EndStalled(const absl::Status& status) {
  bool cancel = false;
  {
    MutexLock lock(&mu_);
    if (finished_) return;
    stalled_ = true;
    pipeline_.Fail(status);
    // Inside, as Advance: the call cannot finish (and its context go) meanwhile.
    ++advancing_;
    cancel = pipeline_.writing();
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
void BakeCallReactor<Base>::OnWriteDone(bool ok) {
  TakeBackFromGrpc(this);
  if (!ok) pipeline_.Fail(StopStatus());
  pipeline_.WriteDone();
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
    MutexLock lock(&mu_);
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
    MutexLock lock(&mu_);
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
