#include "server/live_calls.h"

namespace qbake {

void LiveCalls::Enter() {
  MutexLock lock(&mu_);
  ++count_;
}

void LiveCalls::Leave() {
  MutexLock lock(&mu_);
  if (--count_ == 0) none_.SignalAll();
}

void LiveCalls::WaitNone() {
  MutexLock lock(&mu_);
  while (count_ != 0) none_.Wait(&mu_);
}

}  // namespace qbake
