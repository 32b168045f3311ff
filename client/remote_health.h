// gRPC's standard health check (grpc.health.v1.Health/Check) of a whole server.
#ifndef QBAKE_CLIENT_REMOTE_HEALTH_H_
#define QBAKE_CLIENT_REMOTE_HEALTH_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/channel.h"

namespace qbake {

using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

// The serving status the server reports for itself (service ""), or the call's
// error with gRPC's code and message (UNAVAILABLE when it cannot be reached).
absl::StatusOr<ServingStatus> CheckHealth(const std::shared_ptr<grpc::ChannelInterface>& channel,
                                          absl::Duration deadline);

}  // namespace qbake

#endif  // QBAKE_CLIENT_REMOTE_HEALTH_H_
