// The one place where a gRPC status becomes an absl::Status on the client: the same
// code (both use gRPC's numbering) and the server's message word for word, so a
// remote error reads exactly like the local CLI's.
#ifndef QBAKE_CLIENT_GRPC_STATUS_H_
#define QBAKE_CLIENT_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace qbake {

absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace qbake

#endif  // QBAKE_CLIENT_GRPC_STATUS_H_
