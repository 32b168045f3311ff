// What an error is about, for programs rather than people: a stable reason (one
// word such as CONFIG_INVALID, the same for every wording of the message) and, when
// the error names one, its site (the operation, variable and field of the config).
// Both ride on the absl::Status as payloads, so they survive rewording on the way up
// (Reworded) and cross gRPC as google.rpc.ErrorInfo and google.rpc.BadRequest
// (proto/status_mapping.h): a client reads the same reason and site a local bake
// gives.
#ifndef QBAKE_CORE_ERROR_DETAIL_H_
#define QBAKE_CORE_ERROR_DETAIL_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace qbake {

// The reasons qbake gives. Stable: clients branch on them.
namespace error_reason {
inline constexpr absl::string_view kConfigInvalid = "CONFIG_INVALID";  // a config or document
inline constexpr absl::string_view kModelInvalid = "MODEL_INVALID";    // the model or a value
inline constexpr absl::string_view kModelUnsupported = "MODEL_UNSUPPORTED";
inline constexpr absl::string_view kModelTooLarge = "MODEL_TOO_LARGE";   // above a server limit
inline constexpr absl::string_view kRequestInvalid = "REQUEST_INVALID";  // the call's own fields
inline constexpr absl::string_view kRequestTooLarge = "REQUEST_TOO_LARGE";
inline constexpr absl::string_view kServerBusy = "SERVER_BUSY";  // retry later
inline constexpr absl::string_view kDraining = "DRAINING";       // retry elsewhere
inline constexpr absl::string_view kOutOfMemory = "OUT_OF_MEMORY";
inline constexpr absl::string_view kResourceExhausted = "RESOURCE_EXHAUSTED";  // another limit
inline constexpr absl::string_view kUnauthenticated = "UNAUTHENTICATED";
inline constexpr absl::string_view kDeadlineExceeded = "DEADLINE_EXCEEDED";
inline constexpr absl::string_view kCancelled = "CANCELLED";
inline constexpr absl::string_view kUnavailable = "UNAVAILABLE";
inline constexpr absl::string_view kInternal = "INTERNAL";
}  // namespace error_reason

// Where in the configs an error lies. Empty members are not named by the error.
struct ErrorSite {
  std::string operation;
  std::string variable;
  std::string field;

  bool operator==(const ErrorSite& other) const {
    return operation == other.operation && variable == other.variable && field == other.field;
  }
};

// `status` with `reason`, replacing any it had.
absl::Status WithReason(absl::Status status, absl::string_view reason);

// The reason given with WithReason; without one, the reason its code implies
// (INVALID_ARGUMENT: REQUEST_INVALID, FAILED_PRECONDITION: MODEL_UNSUPPORTED; the
// names of RESOURCE_EXHAUSTED, UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED and
// UNAUTHENTICATED; otherwise INTERNAL), as for a status gRPC itself gave. Empty for OK.
std::string ErrorReason(const absl::Status& status);

// `status` with `site`, replacing any it had.
absl::Status WithSite(absl::Status status, const ErrorSite& site);

// The site given with WithSite, if any.
std::optional<ErrorSite> SiteOf(const absl::Status& status);

// `status` with `message` instead of its own: the same code, reason, site and other
// payloads.
absl::Status Reworded(const absl::Status& status, absl::string_view message);

}  // namespace qbake

#endif  // QBAKE_CORE_ERROR_DETAIL_H_
