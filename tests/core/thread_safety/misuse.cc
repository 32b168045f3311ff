// Breaks each rule core/mutex.h's annotations state: clang's -Wthread-safety must
// refuse the line after each EXPECT comment (tests/core/thread_safety/check.sh).
#include "core/mutex.h"

namespace qbake {

class Counter {
 public:
  // EXPECT: reading variable 'value_' requires holding mutex 'mu_'
  int ReadUnlocked() { return value_; }
  // EXPECT: writing variable 'value_' requires holding mutex 'mu_'
  void WriteUnlocked() { value_ = 1; }
  // EXPECT: calling function 'BumpLocked' requires holding mutex 'mu_' exclusively
  void CallUnlocked() { BumpLocked(); }
  // EXPECT: calling function 'Wait' requires holding mutex 'mu_' exclusively
  void WaitUnlocked() { changed_.Wait(&mu_); }
  void LockTwice() {
    MutexLock lock(&mu_);
    // EXPECT: acquiring mutex 'mu_' that is already held
    mu_.Lock();
    mu_.Unlock();
  }
  // EXPECT: mutex 'mu_' is still held at the end of function
  void Leak() { mu_.Lock(); }

 private:
  void BumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { ++value_; }

  Mutex mu_;
  CondVar changed_;
  int value_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace qbake
