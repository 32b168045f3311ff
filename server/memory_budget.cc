#include "server/memory_budget.h"

#include "absl/strings/str_cat.h"
#include "core/error_detail.h"
#include "proto/status_mapping.h"
#include "server/call_admission.h"

namespace qbake {
// SERVER_BUSY with a retry hint while other calls hold the memory; MODEL_TOO_LARGE
// when the limit itself is too small, which no retry mends.
absl::Status MemoryBudget::Account::Refusal(uint64_t held, uint64_t bytes) const {
  const uint64_t limit = budget_->limit_;
  const uint64_t own = charged_.load() + bytes;
  if (own > limit) {
    return WithReason(
        absl::ResourceExhaustedError(absl::StrCat("the call would hold ", own,
                                                  " bytes of requests, above the server's "
                                                  "limit of ",
                                                  limit, " (--max-memory)")),
        error_reason::kModelTooLarge);
  }
  return WithRetryDelay(
      WithReason(absl::ResourceExhaustedError(absl::StrCat(
                     "the server's calls hold ", held, " bytes of requests; ", bytes,
                     " more would pass its limit of ", limit, " (--max-memory); try again later")),
                 error_reason::kServerBusy),
      kBusyRetryDelay);
}

absl::Status MemoryBudget::Account::Charge(uint64_t bytes) {
  uint64_t held = budget_->held_.load();
  do {
    if (budget_->limit_ != 0 && bytes > budget_->limit_ - held) return Refusal(held, bytes);
  } while (!budget_->held_.compare_exchange_weak(held, held + bytes));
  charged_.fetch_add(bytes);
  return absl::OkStatus();
}

void MemoryBudget::Account::Release() { budget_->held_.fetch_sub(charged_.exchange(0)); }

}  // namespace qbake
