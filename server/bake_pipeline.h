// One call's bake as a pipeline, without gRPC: once the model's graph is known
// (Start), each parameter bakes on the pool as soon as its data is ready (MarkReady),
// its events are made while later parameters still arrive, and each is freed once
// made. A call that asks for an export keeps its whole model instead (its other
// tensors too) and exports it after the last bake (Export).
//
// When parameters fail, the call reports the first in config order, as a local bake
// does (FirstFailure): the pipeline goes on baking those before it.
//
// Memory stays bounded: no parameter is baked while kMaxQueuedBytes of events wait
// to be written, and Next asks for more input only while the unsent events and the
// ready or baking parameters stay under it too.
//
// The caller (BakeCallReactor) drives it: after every event (a read, a write done, a
// pool task done) it asks Next for the steps to take and takes them outside any
// lock: write one event, run one pool task (Bake or Export), read more. At most one
// write and one pool task are in flight; the pipeline is over (Outcome) once an
// error is recorded or the last event is written, and neither is in flight.
//
// Thread-safe: every member runs under the pipeline's own lock, but for the long work
// of Start, Bake and Export (resolving, baking, exporting), done outside it. Start runs
// once, as a pool task, before any MarkReady, Bake or Export; the rest may come before.
#ifndef QBAKE_SERVER_BAKE_PIPELINE_H_
#define QBAKE_SERVER_BAKE_PIPELINE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bake_session.h"
#include "core/mutex.h"
#include "core/thread_pool.h"
#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.pb.h"
#include "server/bake_event_queue.h"
#include "server/bake_settings.h"
#include "server/first_failure.h"
#include "server/memory_budget.h"

namespace qbake {

// Unsent event bytes above which a call stops baking, and unsent event bytes plus
// the bytes of parameters ready or baking above which it stops reading. A call
// holds about this much plus twice its largest parameter (one baked and queued,
// one arriving); a parameter this large still streams while the next arrives.
inline constexpr uint64_t kMaxQueuedBytes = uint64_t{64} << 20;

class BakePipeline {
 public:
  // What the caller does next, in this order.
  struct Steps {
    bool write = false;          // write the event Next gave to its writer
    std::optional<size_t> bake;  // run Bake(*bake) as the pool task
    bool export_model = false;   // run Export as the pool task
    bool read = false;           // more input is welcome
  };
  // Takes the event to write (serializes it): an error ends the call, and the
  // event is not written.
  using EventWriter = std::function<absl::Status(const v1::BakeEvent& event)>;

  // `start` is when the call began (the summary's receive time counts from it);
  // `cancelled` is polled by the bakes.
  BakePipeline(ThreadPool* pool, absl::Time start, std::function<bool()> cancelled);

  BakePipeline(const BakePipeline&) = delete;
  BakePipeline& operator=(const BakePipeline&) = delete;

  // On a pool task: resolves `settings`' configs against `model` and marks its
  // parameters ready: with `external_follows`, those held inline (the external ones
  // come through MarkReady), else all. The pipeline owns the model from now on.
  absl::Status Start(std::unique_ptr<onnx::ModelProto> model, BakeSettings settings,
                     bool external_follows);
  // Parameter tensors now holding their data are baked in turn; any other tensor
  // passed here has its data freed at once (nothing of it is sent back), unless the
  // call exports.
  void MarkReady(absl::Span<onnx::TensorProto* const> tensors);
  // Every tensor has arrived (after Start): once all are baked and written, the
  // config updates and the summary follow.
  void InputComplete();
  // Ends the pipeline with `status`, unless it ended already (the first error stays).
  void Fail(const absl::Status& status);

  // The caller's own pool task starts (before Start: the model's parsing), or one
  // ends (any pool task, Bake and Export included).
  void TaskStarted();
  void TaskDone();
  // The write Next asked for is done (failed or not).
  void WriteDone();

  // Decides the next steps; hands the event to write, if any, to `writer`.
  Steps Next(const EventWriter& writer);

  // The pool task of Steps::bake.
  void Bake(size_t index);
  // The pool task of Steps::export_model: exports the model in place
  // (core/qdq_export.h), charging `memory` its baked parameters' size again (the
  // stored forms, at most as large, are made before the floats go), and queues it
  // with the updates and the summary.
  void Export(MemoryBudget::Account* memory);

  bool writing() const;
  bool working() const;  // a pool task is in flight
  // Once nothing is in flight and the pipeline is over: its status (OK once every
  // event is made); nothing while it goes on.
  std::optional<absl::Status> Outcome() const;
  // Parameters baked and queued so far.
  int64_t parameters() const;

 private:
  // Unsent events plus ready or baking parameters stay under kMaxQueuedBytes.
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkReadyLocked(onnx::TensorProto* tensor) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Closes the events once every parameter is baked and written, or starts the export.
  void CloseWhenDone(Steps* steps) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the ready parameters after a held failure: they cannot change the answer.
  void DropAfterFailure() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  double ReceiveSeconds() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ThreadPool* const pool_;
  const absl::Time start_;
  const std::function<bool()> cancelled_;

  // Set by Start and not changed after; Next and Outcome look at them only once
  // events_ is set.
  std::unique_ptr<onnx::ModelProto> model_;
  BakeSettings settings_;
  std::unique_ptr<BakeSession> session_;
  // Parameters are named by their index in session_->parameters(), which is their
  // place in config order. The parameter each tensor to bake holds:
  absl::flat_hash_map<const onnx::TensorProto*, size_t> parameter_of_tensor_;

  mutable Mutex mu_;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool working_ ABSL_GUARDED_BY(mu_) = false;
  bool input_complete_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time input_done_at_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;  // the queue has the updates and summary
  std::optional<FirstFailure> first_failure_ ABSL_GUARDED_BY(mu_);  // which failure to report
  std::deque<size_t> ready_ ABSL_GUARDED_BY(mu_);
  uint64_t ready_bytes_ ABSL_GUARDED_BY(mu_) = 0;              // of ready_ and the one baking
  std::optional<BakeEventQueue> events_ ABSL_GUARDED_BY(mu_);  // set by Start
  v1::BakeEvent event_ ABSL_GUARDED_BY(mu_);                   // the one being written
};

}  // namespace qbake

#endif  // QBAKE_SERVER_BAKE_PIPELINE_H_
