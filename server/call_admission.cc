#include "server/call_admission.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/error_detail.h"
#include "proto/status_mapping.h"

namespace qbake {
namespace {

// A retry reaches another replica, or this one restarted.
absl::Status DrainingError() {
  return WithRetryDelay(
      WithReason(absl::UnavailableError("qbake-server is shutting down"), error_reason::kDraining),
      kDrainingRetryDelay);
}

// RESOURCE_EXHAUSTED, SERVER_BUSY, with a retry hint.
absl::Status BusyError(absl::string_view message) {
  return WithRetryDelay(
      WithReason(absl::ResourceExhaustedError(message), error_reason::kServerBusy),
      kBusyRetryDelay);
}

}  // namespace

CallAdmission::Ticket& CallAdmission::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    if (admission_ != nullptr) admission_->Release();
    admission_ = other.admission_;
    other.admission_ = nullptr;
  }
  return *this;
}

CallAdmission::Ticket::~Ticket() {
  if (admission_ != nullptr) admission_->Release();
}

CallAdmission::CallAdmission(AdmissionLimits limits)
    : limits_(limits), thread_([this] { DecideQueued(); }) {}

CallAdmission::~CallAdmission() {
  BeginDrain();
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  changed_.SignalAll();
  thread_.join();
}

CallAdmission::WaiterId CallAdmission::Admit(absl::Time deadline, Decision decide) {
  absl::StatusOr<Ticket> now = absl::UnknownError("");
  {
    MutexLock lock(&mu_);
    if (draining_) {
      now = DrainingError();
    } else if (active_ < limits_.max_calls && queue_.empty()) {
      ++active_;
      now = Ticket(this);
    } else if (static_cast<int>(queue_.size()) >= limits_.max_queued) {
      now = BusyError(absl::StrCat("qbake-server is busy: it serves its maximum of ",
                                   limits_.max_calls, " calls (--max-concurrent) and ",
                                   limits_.max_queued, " more wait (--max-queued); retry later"));
    } else {
      const absl::Time enqueued = absl::Now();
      const absl::Time queue_end = enqueued + limits_.queue_timeout;
      const WaiterId id = next_id_++;
      queue_.push_back(Waiter{id, enqueued, std::min(deadline, queue_end), deadline < queue_end,
                              std::move(decide)});
      changed_.SignalAll();
      return id;
    }
  }
  decide(std::move(now));
  return 0;
}

bool CallAdmission::Withdraw(WaiterId id) {
  MutexLock lock(&mu_);
  for (auto waiter = queue_.begin(); waiter != queue_.end(); ++waiter) {
    if (waiter->id == id) {
      queue_.erase(waiter);
      if (queue_.empty()) released_.SignalAll();
      return true;
    }
  }
  return false;
}

void CallAdmission::BeginDrain() {
  {
    MutexLock lock(&mu_);
    draining_ = true;
  }
  changed_.SignalAll();
}

bool CallAdmission::WaitIdle(absl::Time deadline) {
  MutexLock lock(&mu_);
  while (!(active_ == 0 && queue_.empty()) && absl::Now() < deadline) {
    released_.WaitUntil(&mu_, deadline);
  }
  return active_ == 0 && queue_.empty();
}

int CallAdmission::active() const {
  MutexLock lock(&mu_);
  return active_;
}

int CallAdmission::queued() const {
  MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

void CallAdmission::Release() {
  {
    MutexLock lock(&mu_);
    --active_;
    released_.SignalAll();
  }
  changed_.SignalAll();
}

absl::Status CallAdmission::QueueTimeoutError(const Waiter& waiter) const {
  if (waiter.call_deadline) {
    return absl::DeadlineExceededError(absl::StrCat(
        "the call's deadline passed while it waited ",
        absl::FormatDuration(absl::Trunc(absl::Now() - waiter.enqueued, absl::Milliseconds(1))),
        " for a place (--max-concurrent ", limits_.max_calls, ")"));
  }
  return BusyError(absl::StrCat("qbake-server is busy: the call waited ",
                                absl::FormatDuration(limits_.queue_timeout),
                                " (--queue-timeout) for one of its ", limits_.max_calls,
                                " places (--max-concurrent); retry later"));
}

std::list<CallAdmission::Delivery> CallAdmission::DueLocked(absl::Time now) {
  std::list<Delivery> due;
  for (auto waiter = queue_.begin(); waiter != queue_.end();) {
    if (draining_ || waiter->deadline <= now) {
      due.push_back(
          {std::move(waiter->decide), draining_ ? DrainingError() : QueueTimeoutError(*waiter)});
      waiter = queue_.erase(waiter);
    } else {
      ++waiter;
    }
  }
  while (!queue_.empty() && active_ < limits_.max_calls) {
    ++active_;
    due.push_back({std::move(queue_.front().decide), Ticket(this)});
    queue_.pop_front();
  }
  if (queue_.empty()) released_.SignalAll();
  return due;
}

void CallAdmission::DecideQueued() {
  mu_.Lock();
  while (!stopping_ || !queue_.empty()) {
    std::list<Delivery> due = DueLocked(absl::Now());
    if (!due.empty()) {
      mu_.Unlock();
      for (Delivery& delivery : due) delivery.decide(std::move(delivery.decision));
      due.clear();  // tickets of refused or unwanted decisions go before the lock is taken
      mu_.Lock();
      continue;
    }
    absl::Time wake = absl::InfiniteFuture();
    for (const Waiter& waiter : queue_) wake = std::min(wake, waiter.deadline);
    if (stopping_) break;
    if (wake == absl::InfiniteFuture()) {
      changed_.Wait(&mu_);
    } else {
      changed_.WaitUntil(&mu_, wake);
    }
  }
  mu_.Unlock();
}

}  // namespace qbake
