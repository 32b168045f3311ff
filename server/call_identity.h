// Who a call is, for the log: its request id, taken from the client's "x-request-id"
// metadata (printable ASCII, up to 128 characters) or else made here (32 random hex
// digits), and sent back to the client in the response's initial metadata; and the
// W3C "traceparent" the client gave, if any (printable, up to 128 characters; other
// values are left out of the log).
#ifndef QBAKE_SERVER_CALL_IDENTITY_H_
#define QBAKE_SERVER_CALL_IDENTITY_H_

#include <string>

#include "grpcpp/grpcpp.h"

namespace qbake {

struct CallIdentity {
  std::string request_id;
  std::string traceparent;  // empty when not given
};

// Reads the call's identity from `context` and adds "x-request-id" to its initial
// metadata. Before the initial metadata is sent.
CallIdentity IdentifyCall(grpc::CallbackServerContext* context);

}  // namespace qbake

#endif  // QBAKE_SERVER_CALL_IDENTITY_H_
