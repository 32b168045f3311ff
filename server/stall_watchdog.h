// Ends calls that stop moving, so a client that opens a call and then sends nothing,
// or stops reading its results, cannot hold a place (or memory) for free (the
// "slowloris" attack). A call is stalled when it has made no progress (no message
// received, no result taken by the client, no bake step done) for the idle timeout
// while no bake of its own is under way; the watchdog then ends it with
// DEADLINE_EXCEEDED naming --idle-timeout, which frees its place at once.
//
// Thread-safe. A call registers when it is made and unregisters in OnDone; the
// watchdog holds a call (WatchedCall::Hold) before it lets go of its registry lock,
// so a call it is ending cannot be deleted under it.
#ifndef QBAKE_SERVER_STALL_WATCHDOG_H_
#define QBAKE_SERVER_STALL_WATCHDOG_H_

#include <set>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/mutex.h"

namespace qbake {

// What the watchdog asks of a call.
class WatchedCall {
 public:
  virtual ~WatchedCall() = default;
  // True when the call has made no progress since `cutoff` and waits on its client.
  virtual bool StalledSince(absl::Time cutoff) = 0;
  // Ends the call with `status` (once nothing of it is in flight).
  virtual void EndStalled(const absl::Status& status) = 0;
  // Keeps the call alive until the matching Release.
  virtual void Hold() = 0;
  virtual void Release() = 0;
};

class StallWatchdog {
 public:
  // Checks every call about four times per `idle_timeout`, and at least once a second;
  // a zero timeout turns the watchdog off.
  explicit StallWatchdog(absl::Duration idle_timeout);
  ~StallWatchdog();

  StallWatchdog(const StallWatchdog&) = delete;
  StallWatchdog& operator=(const StallWatchdog&) = delete;

  void Register(WatchedCall* call);
  void Unregister(WatchedCall* call);

 private:
  void Run();
  // Ends the calls stalled now.
  void Sweep();

  const absl::Duration idle_timeout_;
  Mutex mu_;
  CondVar stop_;
  std::set<WatchedCall*> calls_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace qbake

#endif  // QBAKE_SERVER_STALL_WATCHDOG_H_
