#include "server/call_admission.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace qbake {

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

absl::StatusOr<CallAdmission::Ticket> CallAdmission::Admit() {
  absl::MutexLock lock(&mu_);
  if (draining_) return absl::UnavailableError("qbake-server is shutting down");
  if (active_ >= max_calls_) {
    return absl::ResourceExhaustedError(absl::StrCat("qbake-server is serving its maximum of ",
                                                     max_calls_, " calls (--max-concurrent)"));
  }
  ++active_;
  return Ticket(this);
}

void CallAdmission::BeginDrain() {
  absl::MutexLock lock(&mu_);
  draining_ = true;
}

bool CallAdmission::WaitIdle(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithDeadline(absl::Condition(
                                   +[](int* active) { return *active == 0; }, &active_),
                               deadline);
}

int CallAdmission::active() const {
  absl::MutexLock lock(&mu_);
  return active_;
}

void CallAdmission::Release() {
  absl::MutexLock lock(&mu_);
  --active_;
}

}  // namespace qbake
