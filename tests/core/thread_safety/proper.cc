// The same class as misuse.cc, written by the rules: clang's -Wthread-safety must
// accept it (tests/core/thread_safety/check.sh).
#include "core/mutex.h"

namespace qbake {

class Counter {
 public:
  int Read() {
    MutexLock lock(&mu_);
    return value_;
  }
  void Bump() {
    MutexLock lock(&mu_);
    BumpLocked();
    changed_.SignalAll();
  }
  void WaitForPositive() {
    MutexLock lock(&mu_);
    while (value_ <= 0) changed_.Wait(&mu_);
  }
  void HandOver() {
    mu_.Lock();
    ++value_;
    mu_.Unlock();
  }

 private:
  void BumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { ++value_; }

  Mutex mu_;
  CondVar changed_;
  int value_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace qbake
