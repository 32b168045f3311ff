// Admits calls up to a fixed number at once, with no queue: a call beyond it is
// refused at once with RESOURCE_EXHAUSTED, and every call is refused with UNAVAILABLE
// once the server drains. A Ticket holds one admitted call's place until destroyed.
// Thread-safe.
#ifndef QBAKE_SERVER_CALL_ADMISSION_H_
#define QBAKE_SERVER_CALL_ADMISSION_H_

#include <condition_variable>
#include <mutex>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace qbake {

class CallAdmission {
 public:
  // Holds an admitted call's place; moving transfers it.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept : admission_(other.admission_) { other.admission_ = nullptr; }
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket();

   private:
    friend class CallAdmission;
    explicit Ticket(CallAdmission* admission) : admission_(admission) {}
    CallAdmission* admission_ = nullptr;
  };

  explicit CallAdmission(int max_calls) : max_calls_(max_calls) {}

  // A ticket, or RESOURCE_EXHAUSTED at the limit, or UNAVAILABLE while draining.
  absl::StatusOr<Ticket> Admit();

  // From now on every call is refused with UNAVAILABLE.
  void BeginDrain();

  // Waits until no ticket is held or `deadline` passes; true when none is held.
  bool WaitIdle(absl::Time deadline);

  int active() const;

 private:
  void Release();

  const int max_calls_;
  mutable std::mutex mu_;
  std::condition_variable released_;
  int active_ = 0;         // guarded by mu_
  bool draining_ = false;  // guarded by mu_
};

}  // namespace qbake

#endif  // QBAKE_SERVER_CALL_ADMISSION_H_
