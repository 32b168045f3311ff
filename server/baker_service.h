// qbake.v1.Baker on gRPC's callback API: each call gets a reactor that deletes
// itself when done. Stateless: nothing outlives a call.
//
// With an auth token, a call whose "authorization" metadata is not "Bearer TOKEN"
// is refused with UNAUTHENTICATED (and logged) before it is admitted or reads
// anything. The health and reflection services are not this service: they stay
// open to probes.
#ifndef QBAKE_SERVER_BAKER_SERVICE_H_
#define QBAKE_SERVER_BAKER_SERVICE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "qbake/v1/bake.grpc.pb.h"
#include "server/call_environment.h"

namespace qbake {

// Both methods are raw: the reactors parse the requests and serialize the events
// (see byte_buffer_messages.h).
class BakerService final
    : public v1::Baker::WithRawCallbackMethod_Bake<v1::Baker::WithRawCallbackMethod_BakeStream<
          v1::Baker::WithCallbackMethod_Info<v1::Baker::Service>>> {
 public:
  // `env` must outlive every call. `auth_token`: nullopt lets every call in. `info`:
  // what Info answers (auth_required is set here).
  BakerService(const CallEnvironment* env, std::optional<std::string> auth_token,
               v1::ServerInfo info)
      : env_(env), auth_token_(std::move(auth_token)), info_(std::move(info)) {
    info_.set_auth_required(auth_token_.has_value());
  }

  grpc::ServerWriteReactor<grpc::ByteBuffer>* Bake(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* request) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* BakeStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* Info(grpc::CallbackServerContext* context,
                                 const v1::InfoRequest* request, v1::ServerInfo* reply) override;

 private:
  // OK, or UNAUTHENTICATED saying whether the token is missing or wrong.
  absl::Status Authenticate(const grpc::CallbackServerContext& context) const;

  const CallEnvironment* env_;
  const std::optional<std::string> auth_token_;
  v1::ServerInfo info_;
};

}  // namespace qbake

#endif  // QBAKE_SERVER_BAKER_SERVICE_H_
