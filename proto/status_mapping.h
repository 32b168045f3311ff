// The one mapping between absl::Status (the core's, the server's and the client
// library's) and gRPC's status, both ways: the same code (both use gRPC's numbering)
// and the same message text, word for word, so a remote error reads exactly like the
// local CLI's. Each payload of the absl::Status (type URL and serialized message, such
// as google.rpc.RetryInfo) is one detail of the google.rpc.Status that gRPC carries in
// "grpc-status-details-bin", and comes back as the same payload.
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
