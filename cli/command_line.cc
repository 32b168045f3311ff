#include "cli/command_line.h"

#include "absl/status/status.h"
#include "client/retry_policy.h"

namespace qbake {

void PrintError(absl::string_view message) { PrintDiagnostic("qbake", "error", message); }

void PrintWarning(absl::string_view message) { PrintDiagnostic("qbake", "warning", message); }

int ExitCodeFor(const absl::Status& status) {
  if (IsTlsHandshakeFailure(status)) return kExitCredentials;
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return kExitCredentials;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnavailable;
    case absl::StatusCode::kResourceExhausted:
      return IsRetryable(status) ? kExitUnavailable : kExitFailure;
    default:
      return kExitFailure;
  }
}

}  // namespace qbake
