// The one place where the core's absl::Status becomes a gRPC status: the same code
// (both use gRPC's numbering) and the same message text, word for word, so a remote
// error reads exactly like the local CLI's.
#ifndef QBAKE_SERVER_STATUS_MAPPING_H_
#define QBAKE_SERVER_STATUS_MAPPING_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace qbake {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace qbake

#endif  // QBAKE_SERVER_STATUS_MAPPING_H_
