// The bytes all calls together may hold (--max-memory): each call is charged the
// bytes of its request as they arrive, and gives them back when it ends, so many
// calls at once are refused with RESOURCE_EXHAUSTED before the server runs out of
// memory, each within --max-model-bytes. What a call holds beyond its request bytes
// is bounded apart: its parsed model by ParseWireMessage, its unsent results by
// kMaxQueuedBytes (server/bake_pipeline.h). Thread-safe.
#ifndef QBAKE_SERVER_MEMORY_BUDGET_H_
#define QBAKE_SERVER_MEMORY_BUDGET_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"

namespace qbake {

class MemoryBudget {
 public:
  // One call's share of the budget; gives it all back when destroyed.
  class Account {
   public:
    explicit Account(MemoryBudget* budget) : budget_(budget) {}
    Account(const Account&) = delete;
    Account& operator=(const Account&) = delete;
    ~Account() { Release(); }

    // Charges `bytes` more to the call. RESOURCE_EXHAUSTED naming --max-memory, with
    // nothing charged, when all calls would then hold more than the limit: SERVER_BUSY
    // with a retry hint (google.rpc.RetryInfo), or MODEL_TOO_LARGE when this call
    // alone would.
    absl::Status Charge(uint64_t bytes);
    // Gives back what was charged so far; later charges count again.
    void Release();

   private:
    absl::Status Refusal(uint64_t held, uint64_t bytes) const;

    MemoryBudget* const budget_;
    std::atomic<uint64_t> charged_{0};
  };

  // `limit` bytes; 0 is no limit.
  explicit MemoryBudget(uint64_t limit) : limit_(limit) {}

  // Bytes charged to all calls now.
  uint64_t held() const { return held_.load(); }

 private:
  const uint64_t limit_;
  std::atomic<uint64_t> held_{0};
};

}  // namespace qbake

#endif  // QBAKE_SERVER_MEMORY_BUDGET_H_
