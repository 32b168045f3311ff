// The one mapping between absl::Status (the core's, the server's and the client
// library's) and gRPC's status, both ways: the same code (both use gRPC's numbering)
// and the same message text, word for word, so a remote error reads exactly like the
// local CLI's. Every error carries a google.rpc.Status in "grpc-status-details-bin":
//   - google.rpc.ErrorInfo: its reason (core/error_detail.h), domain "qbake.dev", and
//     metadata "operation", "variable" and "field" when it has a site;
//   - google.rpc.BadRequest with one FieldViolation when it has a site: the JSON
//     pointer "/configs/OPERATION/VARIABLE/FIELD" and the message;
//   - each payload whose type URL is Google's ("type.googleapis.com/...", such as
//     google.rpc.RetryInfo), as it is.
// Coming back, ErrorInfo gives the status its reason and site again, and every other
// detail but BadRequest is a payload: the client's status equals the server's. The
// details' strings are proto3 strings, which clients parse only as UTF-8: bytes of a
// name or message that are not UTF-8 are replaced there by U+FFFD (the status message
// itself travels as it is).
#ifndef QBAKE_PROTO_STATUS_MAPPING_H_
#define QBAKE_PROTO_STATUS_MAPPING_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace qbake {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// `status` with a hint that a retry after `delay` may succeed (google.rpc.RetryInfo).
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);

// The hint WithRetryDelay gave `status`, if any; the server also sends it as gRPC's
// own "grpc-retry-pushback-ms" trailer.
std::optional<absl::Duration> RetryDelay(const absl::Status& status);

}  // namespace qbake

#endif  // QBAKE_PROTO_STATUS_MAPPING_H_
