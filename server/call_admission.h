// Admits calls up to a fixed number at once and queues up to a fixed number more, in
// arrival order. A queued call waits until a place frees, its own deadline passes or
// the queue timeout passes; a call that finds the queue full is refused at once with
// RESOURCE_EXHAUSTED, and every call, queued ones included, is refused with
// UNAVAILABLE once the server drains. A Ticket holds one admitted call's place until
// destroyed. Thread-safe.
//
// Decisions that cannot be made at once (a queued call admitted or refused later)
// are delivered on the admission's own thread, never on the thread that freed a
// place, so a call ending never runs another call's start.
#ifndef QBAKE_SERVER_CALL_ADMISSION_H_
#define QBAKE_SERVER_CALL_ADMISSION_H_

#include <cstdint>
#include <functional>
#include <list>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/mutex.h"

namespace qbake {

struct AdmissionLimits {
  int max_calls = 1;   // served at once
  int max_queued = 0;  // waiting for a place
  absl::Duration queue_timeout = absl::Seconds(60);
};

// What a refusal for a full queue or a queue wait past --queue-timeout suggests to
// the client: try again after this long (RetryInfo and grpc-retry-pushback-ms).
inline constexpr absl::Duration kBusyRetryDelay = absl::Seconds(1);
// What a refusal while draining suggests: another replica soon.
inline constexpr absl::Duration kDrainingRetryDelay = absl::Milliseconds(100);

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

  // Receives the decision on a call: its ticket, or why it is refused.
  using Decision = std::function<void(absl::StatusOr<Ticket>)>;
  // Names a queued call, to withdraw it.
  using WaiterId = uint64_t;

  explicit CallAdmission(AdmissionLimits limits);
  // Refuses what is still queued (as a drain does) and stops the admission thread.
  ~CallAdmission();

  CallAdmission(const CallAdmission&) = delete;
  CallAdmission& operator=(const CallAdmission&) = delete;

  // Decides on a call whose deadline is `deadline`. When a place is free, or the
  // queue is full, or the server drains, `decide` runs before Admit returns, and
  // Admit returns 0. Otherwise the call is queued: Admit returns its id, and `decide`
  // runs later on the admission thread, with a ticket, or with RESOURCE_EXHAUSTED
  // after the queue timeout, DEADLINE_EXCEEDED once `deadline` has passed, or
  // UNAVAILABLE on drain.
  WaiterId Admit(absl::Time deadline, Decision decide);

  // Takes a queued call out of the queue (its client went away): true when it was
  // still queued, and then its decision never runs; false when the decision is made
  // already or under way.
  bool Withdraw(WaiterId id);

  // From now on every call is refused with UNAVAILABLE, those queued included.
  void BeginDrain();

  // Waits until no ticket is held or `deadline` passes; true when none is held.
  bool WaitIdle(absl::Time deadline);

  int active() const;
  int queued() const;

 private:
  struct Waiter {
    WaiterId id;
    absl::Time enqueued;
    absl::Time deadline;  // the earlier of the call's deadline and the queue timeout
    bool call_deadline;   // `deadline` is the call's own
    Decision decide;
  };
  // A decision to deliver outside the lock.
  struct Delivery {
    Decision decide;
    absl::StatusOr<Ticket> decision;
  };

  void Release();
  // The admission thread: admits queued calls as places free, refuses those whose
  // wait is over.
  void DecideQueued();
  // The decisions due now.
  std::list<Delivery> DueLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status QueueTimeoutError(const Waiter& waiter) const;

  const AdmissionLimits limits_;
  mutable Mutex mu_;
  CondVar released_;  // a ticket went
  CondVar changed_;   // the admission thread has work
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  WaiterId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::list<Waiter> queue_ ABSL_GUARDED_BY(mu_);  // in arrival order
  std::thread thread_;
};

}  // namespace qbake

#endif  // QBAKE_SERVER_CALL_ADMISSION_H_
