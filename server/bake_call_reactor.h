// What the Bake and BakeStream reactors share: admission, the gRPC side of the
// call's BakePipeline (server/bake_pipeline.h: baking parameter by parameter on the
// pool, the events streamed as they are made, the export, flow control),
// cancellation, the stall watchdog and the call's log line. `Base` is the gRPC reactor of
// a raw method (ServerWriteReactor or ServerBidiReactor of grpc::ByteBuffer): its writes
// carry BakeEvents serialized here (see byte_buffer_messages.h).
//
// Threading: gRPC calls OnReadDone, OnSendInitialMetadataDone, OnWriteDone, OnCancel
// and OnDone on its threads; parsing and baking run on the pool. mu_ guards the call's
// own state, the pipeline guards its own (mu_ is taken first), and gRPC is called
// outside both. The call is finished once, when the pipeline is over (an error, a
// cancellation or the last event) and nothing is in flight (a pending read is allowed: it
// completes with ok = false before OnDone). The StallWatchdog may end a call that waits on
// its client too long (EndStalled, from its own thread); the call is deleted when its last
// hold goes: gRPC's, given up at the end of OnDone, the watchdog's, or a pool task's (a
// reaction may start one just as another thread finishes the call). No exception leaves
// a callback or a pool task: what is thrown becomes the call's status (CatchExceptions).
#ifndef QBAKE_SERVER_BAKE_CALL_REACTOR_H_
#define QBAKE_SERVER_BAKE_CALL_REACTOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "grpcpp/grpcpp.h"
#include "onnx/onnx_pb.h"
#include "server/bake_pipeline.h"
#include "server/bake_settings.h"
#include "server/call_admission.h"
#include "server/call_environment.h"
#include "server/call_log.h"
#include "server/memory_budget.h"
#include "server/stall_watchdog.h"

namespace qbake {

template <typename Base>
class BakeCallReactor : public Base, public WatchedCall {
 protected:
  BakeCallReactor(const CallEnvironment& env, grpc::CallbackServerContext* context,
                  std::string method);

  // Asks for a place among the calls being served (CallAdmission), perhaps waiting
  // in its queue. Once admitted, sends the response headers, so the client knows,
  // and runs `start`; when refused, finishes the call with the refusal. Nothing of
  // the request is read while the call waits. The derived constructor's last act:
  // it also registers the call with the StallWatchdog, whose thread may call it from
  // then on, so the call must be whole by then (a base constructor that registered
  // would race the derived constructor's own setup).
  void Admit(std::function<void()> start);

  // Runs `task` on the pool as the call's one pool task; when it returns, the
  // pipeline moves on. Not while another pool task is in flight.
  void RunOnPool(std::function<void()> task);

  // On the pool task: BakePipeline::Start; an error ends the call.
  void StartBake(std::unique_ptr<onnx::ModelProto> model, BakeSettings settings,
                 bool external_follows);
  // The call's pipeline: the derived reactor hands it the tensors as their data
  // arrives (MarkReady) and says when the input is complete (InputComplete).
  BakePipeline& pipeline() { return pipeline_; }
  // Ends the call with `status` once nothing is in flight.
  void Fail(const absl::Status& status) { pipeline_.Fail(status); }

  // Called by Advance, outside mu_, while input is incomplete and the pipeline has
  // room; BakeStream starts its next read there unless one is pending or the model
  // is being parsed.
  virtual void ReadMore() {}

  // Runs the next steps of the pipeline (writes, bakes, reads), then finishes the
  // call when it is over and no other thread is advancing it. A pool task calls it
  // last with `pool_task_done`, which ends the task under the same lock. Every call
  // counts as the call's progress (see StallWatchdog).
  void Advance(bool pool_task_done = false);

  bool cancelled() const { return cancelled_.load(); }
  // Counts request bytes taken in, for the call's log line and against the server's
  // MemoryBudget: RESOURCE_EXHAUSTED when they do not fit there.
  absl::Status TakeIn(uint64_t bytes);
  const CallEnvironment& env() const { return env_; }

  // Guards the call's state (the members marked so below), and the derived
  // reactor's read state.
  Mutex mu_;

 private:
  // The end of Advance (and of EndStalled): leaves it, and finishes the call when
  // it is over and no other thread is inside.
  void EndAdvance();
  // CallAdmission's decision on the call (see Admit).
  void Admitted(absl::StatusOr<CallAdmission::Ticket> ticket, const std::function<void()>& start);
  // Finishes the call with `status` and tells the client when to retry, if the status says.
  void FinishCall(const absl::Status& status);

  // WatchedCall.
  bool StalledSince(absl::Time cutoff) override;
  void EndStalled(const absl::Status& status) override;
  void Hold() override { holds_.fetch_add(1); }
  // Deletes the call when the last hold goes (gRPC's, given up in OnDone, the
  // watchdog's, or a pool task's).
  void Release() override;

  // The status to finish with, once; nothing while the call goes on.
  std::optional<absl::Status> FinishStatus() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs a pool task the pipeline asked for, then moves on.
  void RunPipelineTask(const std::function<void()>& task);
  // CANCELLED, or DEADLINE_EXCEEDED once the deadline has (all but) passed.
  absl::Status StopStatus() const;
  void OnSendInitialMetadataDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  const CallEnvironment& env_;
  grpc::CallbackServerContext* const context_;
  const absl::Time start_;
  std::atomic<bool> cancelled_{false};
  std::atomic<int> holds_{1};
  CallAdmission::Ticket ticket_ ABSL_GUARDED_BY(mu_);
  MemoryBudget::Account memory_;
  CallRecord record_ ABSL_GUARDED_BY(mu_);
  // Waiting in CallAdmission's queue: the call cannot finish until it is decided.
  bool queued_ ABSL_GUARDED_BY(mu_) = false;
  CallAdmission::WaiterId waiter_ ABSL_GUARDED_BY(mu_) = 0;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool stalled_ ABSL_GUARDED_BY(mu_) = false;  // ended by the StallWatchdog
  absl::Time last_progress_ ABSL_GUARDED_BY(mu_);
  int advancing_ ABSL_GUARDED_BY(mu_) = 0;  // threads inside Advance
  BakePipeline pipeline_;
  grpc::ByteBuffer event_bytes_;  // the event being written, serialized
};

}  // namespace qbake

#endif  // QBAKE_SERVER_BAKE_CALL_REACTOR_H_
