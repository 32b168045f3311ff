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
  std::lock_guard<std::mutex> lock(mu_);
  if (draining_) return absl::UnavailableError("qbake-server is shutting down");
  if (active_ >= max_calls_) {
    return absl::ResourceExhaustedError(absl::StrCat("qbake-server is serving its maximum of ",
                                                     max_calls_, " calls (--max-concurrent)"));
  }
  ++active_;
  return Ticket(this);
}

void CallAdmission::BeginDrain() {
  std::lock_guard<std::mutex> lock(mu_);
  draining_ = true;
}

bool CallAdmission::WaitIdle(absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  return released_.wait_until(lock, absl::ToChronoTime(deadline), [this] { return active_ == 0; });
}

int CallAdmission::active() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_;
}

void CallAdmission::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--active_ == 0) released_.notify_all();
}

}  // namespace qbake
