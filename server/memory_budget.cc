#include "server/memory_budget.h"

#include "absl/strings/str_cat.h"

namespace qbake {

absl::Status MemoryBudget::Account::Charge(uint64_t bytes) {
  uint64_t held = budget_->held_.load();
  do {
    if (budget_->limit_ != 0 && bytes > budget_->limit_ - held) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the server's calls hold ", held, " bytes of requests; ", bytes,
          " more would pass its limit of ", budget_->limit_, " (--max-memory); try again later"));
    }
  } while (!budget_->held_.compare_exchange_weak(held, held + bytes));
  charged_.fetch_add(bytes);
  return absl::OkStatus();
}

void MemoryBudget::Account::Release() { budget_->held_.fetch_sub(charged_.exchange(0)); }

}  // namespace qbake
