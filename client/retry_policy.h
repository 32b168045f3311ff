// When the client library tries a call again, and after how long. A call is retried
// when the server could not take it, not when it refused the request:
//   - UNAVAILABLE: no replica reachable, a replica draining or lost mid-call (the
//     call is replayed whole, perhaps on another replica), except a failed TLS
//     handshake, which no retry mends;
//   - CANCELLED: the client library never cancels a call it still waits on, so a
//     cancellation it receives came from the way there (a front proxy resets the
//     streams of a replica it lost: HTTP/2 RST_STREAM CANCEL);
//   - RESOURCE_EXHAUSTED that carries the server's retry hint (google.rpc.RetryInfo):
//     the server was busy. A model above --max-model-bytes carries none.
// Waits grow exponentially with jitter (so a burst of refused clients does not come
// back at once) and are never shorter than the server's hint.
#ifndef QBAKE_CLIENT_RETRY_POLICY_H_
#define QBAKE_CLIENT_RETRY_POLICY_H_

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace qbake {

struct RetryPolicy {
  int retries = 5;  // attempts after the first
  absl::Duration initial_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(10);
};

// True when `status` is worth another attempt (see above).
bool IsRetryable(const absl::Status& status);

// True when `status` says a TLS handshake failed (an UNAVAILABLE that is really a
// refusal of the client's or the server's credentials).
bool IsTlsHandshakeFailure(const absl::Status& status);

// The wait before retry number `retry` (1 for the first) after `status`:
// initial_backoff x 2^(retry-1), capped at max_backoff, times a random factor in
// [0.8, 1.2], and at least the server's retry hint.
absl::Duration RetryWait(const RetryPolicy& policy, int retry, const absl::Status& status,
                         absl::BitGen& random);

}  // namespace qbake

#endif  // QBAKE_CLIENT_RETRY_POLICY_H_
