// What the Bake and BakeStream reactors share: admission, baking parameter by
// parameter on the pool, streaming the events as they are made, the export,
// cancellation and the call's log line. `Base` is the gRPC reactor of a raw method
// (ServerWriteReactor or ServerBidiReactor of grpc::ByteBuffer): its writes carry BakeEvents
// serialized here (see byte_buffer_messages.h).
//
// The bake is a pipeline: once the model's graph is known (StartBake), each
// parameter bakes on the pool as soon as its data is ready (MarkReady), its chunks
// are written while later parameters still arrive, and each is freed once sent.
// A call that asks for an export keeps its whole model instead (its other tensors
// too) and exports it on the pool after the last bake; the exported model is sent
// then.
// When parameters fail, the call reports the first in config order, as a local bake
// does (FirstFailure): it goes on reading and baking those before it.
// Memory stays bounded: no parameter is baked while kMaxQueuedBytes of events wait
// to be written, and ReadMore (BakeStream's next read) is asked for only while the
// unsent events and the ready or baking parameters stay under it too, so a slow
// client holds back the upload through gRPC's flow control.
//
// Threading: gRPC calls OnReadDone, OnSendInitialMetadataDone, OnWriteDone, OnCancel
// and OnDone on its threads; parsing and baking run on the pool. All state is
// guarded by mu_, and gRPC is called outside it. At most one write, one read and one pool task are
// in flight. The call is finished once, when an error, a cancellation or the last event is reached
// and neither a write nor a pool task is in flight (a pending read is allowed: it completes with ok
// = false before OnDone). The StallWatchdog may end a call that waits on its client too long
// (EndStalled, from its own thread); the call is deleted when its last hold goes: gRPC's, given up
// at the end of OnDone, or the watchdog's. No exception leaves a callback or a pool task: what is
// thrown becomes the call's status (CatchExceptions).
#ifndef QBAKE_SERVER_BAKE_CALL_REACTOR_H_
#define QBAKE_SERVER_BAKE_CALL_REACTOR_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bake_session.h"
#include "grpcpp/grpcpp.h"
#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.pb.h"
#include "server/bake_event_queue.h"
#include "server/bake_settings.h"
#include "server/call_admission.h"
#include "server/call_environment.h"
#include "server/call_log.h"
#include "server/first_failure.h"
#include "server/memory_budget.h"
#include "server/stall_watchdog.h"

namespace qbake {

// Unsent event bytes above which a call stops baking, and unsent event bytes plus
// the bytes of parameters ready or baking above which it stops reading. A call
// holds about this much plus twice its largest parameter (one baked and queued,
// one arriving); a parameter this large still streams while the next arrives.
inline constexpr uint64_t kMaxQueuedBytes = uint64_t{64} << 20;

template <typename Base>
class BakeCallReactor : public Base, public WatchedCall {
 protected:
  BakeCallReactor(const CallEnvironment& env, grpc::CallbackServerContext* context,
                  std::string method);

  // Asks for a place among the calls being served (CallAdmission), perhaps waiting
  // in its queue. Once admitted, sends the response headers, so the client knows,
  // and runs `start`; when refused, finishes the call with the refusal. Nothing of
  // the request is read while the call waits. The derived constructor's last act.
  void Admit(std::function<void()> start);

  // Runs `task` on the pool as the call's one pool task; when it returns, the
  // pipeline moves on. Not while another pool task is in flight.
  void RunOnPool(std::function<void()> task);

  // On the pool task: resolves the configs against `model` and marks its
  // parameters ready: with `external_follows`, those held inline (the external ones
  // come through MarkReady), else all. The call owns the model from now on. An
  // error ends the call.
  void StartBake(std::unique_ptr<onnx::ModelProto> model, BakeSettings settings,
                 bool external_follows);
  // Parameter tensors now holding their data are baked in turn; any other tensor
  // passed here has its data freed at once (nothing of it is sent back).
  void MarkReady(absl::Span<onnx::TensorProto* const> tensors);
  // Every tensor has arrived (after StartBake): once all are baked and sent, the
  // config updates and the summary follow.
  void InputComplete();
  // Ends the call with `status` once nothing is in flight.
  void Fail(const absl::Status& status);

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

  // Guards the pipeline's state (the members marked so below), and the derived
  // reactor's read state.
  std::mutex mu_;

 private:
  // What Advance does once mu_ is released.
  struct Steps {
    bool write = false;
    std::optional<std::string> bake;
    bool export_model = false;
    bool read = false;
  };

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
  // Deletes the call when the last hold goes (gRPC's, given up in OnDone, or the
  // watchdog's).
  void Release() override;

  // These four are called with mu_ held.
  Steps NextSteps();
  // Unsent events plus ready or baking parameters stay under kMaxQueuedBytes.
  bool has_room() const;
  // The status to finish with, once; nothing while the call goes on.
  std::optional<absl::Status> FinishStatus();
  void MarkReadyLocked(onnx::TensorProto* tensor);
  void BakeParameter(const std::string& name);
  // The pool task after the last bake of a call that asks for an export: exports
  // the model in place (core/qdq_export.h), charging the memory budget its baked
  // parameters' size again (the stored forms, at most as large, are made before the
  // floats go), and queues it with the updates and the summary.
  void ExportModel();
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
  CallAdmission::Ticket ticket_;  // guarded by mu_
  MemoryBudget::Account memory_;
  CallRecord record_;  // guarded by mu_
  // Waiting in CallAdmission's queue: the call cannot finish until it is decided.
  bool queued_ = false;                 // guarded by mu_
  CallAdmission::WaiterId waiter_ = 0;  // guarded by mu_
  absl::Status error_;                  // guarded by mu_
  bool writing_ = false;                // guarded by mu_
  bool working_ = false;                // guarded by mu_; a pool task is in flight
  bool input_complete_ = false;         // guarded by mu_
  absl::Time input_done_at_;            // guarded by mu_
  bool closed_ = false;                 // guarded by mu_; the queue has the updates and summary
  bool finished_ = false;               // guarded by mu_
  bool stalled_ = false;                // guarded by mu_; ended by the StallWatchdog
  absl::Time last_progress_;            // guarded by mu_
  int advancing_ = 0;                   // guarded by mu_; threads inside Advance
  std::unique_ptr<onnx::ModelProto> model_;
  BakeSettings settings_;
  std::unique_ptr<BakeSession> session_;
  // The tensor and the baking spec of each parameter to bake, by name.
  std::map<std::string, std::pair<onnx::TensorProto*, const TensorConfigSpec*>> parameters_;
  // The name of the parameter each of those tensors holds.
  absl::flat_hash_map<const onnx::TensorProto*, std::string> parameter_of_tensor_;
  // Each parameter's place in config order, and which failure the call reports.
  absl::flat_hash_map<std::string, size_t> config_order_;
  std::optional<FirstFailure> first_failure_;  // guarded by mu_
  std::deque<std::string> ready_;              // guarded by mu_
  uint64_t ready_bytes_ = 0;                   // guarded by mu_; of ready_ and the one baking
  std::optional<BakeEventQueue> events_;       // guarded by mu_
  v1::BakeEvent event_;                        // guarded by mu_
  grpc::ByteBuffer event_bytes_;               // event_ serialized: the write in flight
};

}  // namespace qbake

#endif  // QBAKE_SERVER_BAKE_CALL_REACTOR_H_
