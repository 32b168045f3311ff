// What the Bake and BakeStream reactors share: admission, running the bake on the
// pool, streaming its events one write at a time, cancellation and the call's log
// line. `Base` is the gRPC reactor (ServerWriteReactor or ServerBidiReactor) whose
// writes carry BakeEvents.
//
// Threading: gRPC calls OnWriteDone, OnCancel and OnDone on its threads; parsing and
// baking run on the pool. The call always has exactly one continuation pending (a
// pool task, a read or a write) until it finishes, and only that continuation
// finishes it, so Finish is called once. OnCancel only raises a flag, which the
// bake polls between batches and the writer checks before every write.
#ifndef QBAKE_SERVER_BAKE_CALL_REACTOR_H_
#define QBAKE_SERVER_BAKE_CALL_REACTOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.pb.h"
#include "server/bake_event_source.h"
#include "server/bake_settings.h"
#include "server/call_admission.h"
#include "server/call_environment.h"
#include "server/call_log.h"

namespace qbake {

template <typename Base>
class BakeCallReactor : public Base {
 protected:
  BakeCallReactor(const CallEnvironment& env, grpc::CallbackServerContext* context,
                  std::string method);

  // Takes a place among the calls being served; when refused, finishes the call
  // with the refusal and returns false.
  bool Admit();

  // Runs `task` on the pool, or finishes the call once it is cancelled.
  void Schedule(std::function<void()> task);

  // On a pool thread: bakes, then streams the results and finishes the call.
  void BakeAndStream(std::unique_ptr<onnx::ModelProto> model, BakeSettings settings);

  // Ends the call with `status` (mapped to gRPC once, in ToGrpcStatus).
  void FinishCall(const absl::Status& status);

  // CANCELLED, or DEADLINE_EXCEEDED once the deadline has (all but) passed.
  absl::Status StopStatus() const;

  bool cancelled() const { return cancelled_.load(); }
  // Called in order by one continuation at a time.
  void CountBytesIn(uint64_t bytes) { record_.bytes_in += bytes; }
  const CallEnvironment& env() const { return env_; }

 private:
  void WriteNext();
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  const CallEnvironment& env_;
  grpc::CallbackServerContext* const context_;
  const absl::Time start_;
  CallRecord record_;
  std::atomic<bool> cancelled_{false};
  CallAdmission::Ticket ticket_;
  std::optional<BakeEventSource> events_;
  v1::BakeEvent event_;
};

}  // namespace qbake

#endif  // QBAKE_SERVER_BAKE_CALL_REACTOR_H_
