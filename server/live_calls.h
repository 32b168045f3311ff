// Counts the calls whose reactor still exists, so the server can outlive them all:
// a call's admission place is given back before its status is sent, but its
// reactor still logs and is deleted in OnDone after that. Enter when a reactor is
// made, Leave as OnDone's last act; WaitNone before the server is destroyed.
// Thread-safe.
#ifndef QBAKE_SERVER_LIVE_CALLS_H_
#define QBAKE_SERVER_LIVE_CALLS_H_

#include "core/mutex.h"

namespace qbake {

class LiveCalls {
 public:
  void Enter();
  void Leave();
  // Returns once every call that entered has left.
  void WaitNone();

 private:
  Mutex mu_;
  CondVar none_;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace qbake

#endif  // QBAKE_SERVER_LIVE_CALLS_H_
