#include "server/first_failure.h"

#include <algorithm>

namespace qbake {

void FirstFailure::Settle(size_t index, const absl::Status& status) {
  if (index >= settled_.size() || settled_[index]) return;
  settled_[index] = true;
  if (!Matters(index)) return;
  if (status.ok()) {
    if (failed_index_ != kNone) ++settled_before_failure_;
    return;
  }
  failed_index_ = index;
  failure_ = status;
  settled_before_failure_ = static_cast<size_t>(
      std::count(settled_.begin(), settled_.begin() + static_cast<std::ptrdiff_t>(index), true));
}

absl::Status FirstFailure::Decided() const {
  if (failed_index_ == kNone || settled_before_failure_ < failed_index_) return absl::OkStatus();
  return failure_;
}

}  // namespace qbake
