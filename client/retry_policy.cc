#include "client/retry_policy.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "proto/status_mapping.h"

namespace qbake {

bool IsTlsHandshakeFailure(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable &&
         absl::StrContains(absl::AsciiStrToLower(status.message()), "handshake");
}

bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      return !IsTlsHandshakeFailure(status);
    case absl::StatusCode::kCancelled:
      return true;
    case absl::StatusCode::kResourceExhausted:
      return RetryDelay(status).has_value();
    default:
      return false;
  }
}

absl::Duration RetryWait(const RetryPolicy& policy, int retry, const absl::Status& status,
                         absl::BitGen& random) {
  absl::Duration backoff = policy.initial_backoff;
  for (int i = 1; i < retry && backoff < policy.max_backoff; ++i) backoff *= 2;
  backoff = std::min(backoff, policy.max_backoff) * absl::Uniform(random, 0.8, 1.2);
  const std::optional<absl::Duration> hint = RetryDelay(status);
  return hint ? std::max(backoff, *hint) : backoff;
}

}  // namespace qbake
