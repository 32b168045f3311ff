// The HTTP/2 settings qbake-server gives gRPC's transport, so what it buffers for a
// call is a fixed amount, not what a sender's speed makes it.
//
// gRPC grows each stream's receive window by probing the bandwidth-delay product; on
// a fast link it reached tens of MiB, and that much of a fast upload then sat in the
// server's buffers, more or less of it depending on how the sender's pace and the
// server's happened to meet (a 64 MiB BakeStream peaked anywhere from 101 to 125 MB;
// docs/RELIABILITY.md, "Memory while receiving"). With the probing off and a fixed
// window, a call's unread upload is at most kReceiveWindowBytes, and the same
// upload ran as fast (8 MiB covers a 1 ms round trip at 64 Gbit/s).
#ifndef QBAKE_SERVER_TRANSPORT_LIMITS_H_
#define QBAKE_SERVER_TRANSPORT_LIMITS_H_

#include <cstdint>

#include "absl/time/time.h"
#include "grpcpp/server_builder.h"

namespace qbake {

// The receive window of each stream: request bytes gRPC takes in ahead of the call.
inline constexpr int32_t kReceiveWindowBytes = 8 << 20;

// Applies the settings above to `builder`.
void ApplyTransportLimits(grpc::ServerBuilder* builder);

// A client's connection is asked to go (GOAWAY) once it is `max_age` old, and its
// calls get `grace` more to finish (a zero `max_age`: never): long-lived round_robin channels then
// reconnect and resolve again, and so reach replicas added since. Keepalive pings every
// kKeepaliveTime find connections whose peer vanished without closing them.
inline constexpr absl::Duration kKeepaliveTime = absl::Seconds(60);
inline constexpr absl::Duration kKeepaliveTimeout = absl::Seconds(20);
void ApplyConnectionLifetime(grpc::ServerBuilder* builder, absl::Duration max_age,
                             absl::Duration grace);

}  // namespace qbake

#endif  // QBAKE_SERVER_TRANSPORT_LIMITS_H_
