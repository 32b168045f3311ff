#include "server/live_calls.h"

namespace qbake {

void LiveCalls::Enter() {
  std::lock_guard<std::mutex> lock(mu_);
  ++count_;
}

void LiveCalls::Leave() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--count_ == 0) none_.notify_all();
}

void LiveCalls::WaitNone() {
  std::unique_lock<std::mutex> lock(mu_);
  none_.wait(lock, [this] { return count_ == 0; });
}

}  // namespace qbake
