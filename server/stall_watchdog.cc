#include "server/stall_watchdog.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace qbake {

StallWatchdog::StallWatchdog(absl::Duration idle_timeout) : idle_timeout_(idle_timeout) {
  if (idle_timeout_ > absl::ZeroDuration()) thread_ = std::thread([this] { Run(); });
}

StallWatchdog::~StallWatchdog() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  stop_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void StallWatchdog::Register(WatchedCall* call) {
  MutexLock lock(&mu_);
  calls_.insert(call);
}

void StallWatchdog::Unregister(WatchedCall* call) {
  MutexLock lock(&mu_);
  calls_.erase(call);
}

void StallWatchdog::Run() {
  const absl::Duration period = std::min(idle_timeout_ / 4, absl::Seconds(1));
  mu_.Lock();
  while (!stopping_) {
    const absl::Time sweep_at = absl::Now() + period;
    while (!stopping_ && absl::Now() < sweep_at) stop_.WaitUntil(&mu_, sweep_at);
    if (stopping_) break;
    mu_.Unlock();
    Sweep();
    mu_.Lock();
  }
  mu_.Unlock();
}

void StallWatchdog::Sweep() {
  const absl::Time cutoff = absl::Now() - idle_timeout_;
  std::vector<WatchedCall*> stalled;
  {
    MutexLock lock(&mu_);
    for (WatchedCall* call : calls_) {
      if (!call->StalledSince(cutoff)) continue;
      call->Hold();
      stalled.push_back(call);
    }
  }
  const absl::Status status = absl::DeadlineExceededError(absl::StrCat(
      "qbake-server ended the call: it made no progress for ", absl::FormatDuration(idle_timeout_),
      " (--idle-timeout): the client sent nothing and took no result"));
  for (WatchedCall* call : stalled) {
    call->EndStalled(status);
    call->Release();
  }
}

}  // namespace qbake
