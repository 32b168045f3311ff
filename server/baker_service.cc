#include "server/baker_service.h"

#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "common/auth_token.h"
#include "proto/status_mapping.h"
#include "server/bake_reactor.h"
#include "server/bake_stream_reactor.h"
#include "server/call_log.h"
#include "server/grpc_hand_off.h"

namespace qbake {
namespace {

// A call refused before any work: logged, finished at once, deleted when done.
template <typename Base>
class RefusedCall final : public Base {
 public:
  RefusedCall(const CallEnvironment& env, std::string method, grpc::CallbackServerContext* context,
              const absl::Status& status) {
    CallRecord record;
    record.identity = IdentifyCall(context);
    record.method = std::move(method);
    record.peer = context->peer();
    record.status = status;
    env.RecordEndedCall(record);
    HandOffToGrpc(this);
    this->Finish(ToGrpcStatus(status));
  }

 private:
  void OnDone() override {
    TakeBackFromGrpc(this);
    delete this;
  }
};

}  // namespace

absl::Status BakerService::Authenticate(const grpc::CallbackServerContext& context) const {
  if (!auth_token_.has_value()) return absl::OkStatus();
  const auto& metadata = context.client_metadata();
  const auto presented =
      metadata.find(grpc::string_ref(kAuthorizationKey.data(), kAuthorizationKey.size()));
  if (presented == metadata.end()) {
    return absl::UnauthenticatedError(
        "qbake-server requires an auth token (authorization: Bearer TOKEN "
        "metadata; qbake --auth-token-file)");
  }
  if (!BearerMatches(absl::string_view(presented->second.data(), presented->second.size()),
                     *auth_token_)) {
    return absl::UnauthenticatedError("qbake-server refused the auth token: it does not match");
  }
  return absl::OkStatus();
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* BakerService::Bake(grpc::CallbackServerContext* context,
                                                               const grpc::ByteBuffer* request) {
  const absl::Status auth = Authenticate(*context);
  if (!auth.ok()) {
    return new RefusedCall<grpc::ServerWriteReactor<grpc::ByteBuffer>>(*env_, "Bake", context,
                                                                       auth);
  }
  return new BakeReactor(*env_, context, request);
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* BakerService::BakeStream(
    grpc::CallbackServerContext* context) {
  const absl::Status auth = Authenticate(*context);
  if (!auth.ok()) {
    return new RefusedCall<grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>>(
        *env_, "BakeStream", context, auth);
  }
  return new BakeStreamReactor(*env_, context);
}

grpc::ServerUnaryReactor* BakerService::Info(grpc::CallbackServerContext* context,
                                             const v1::InfoRequest* /*request*/,
                                             v1::ServerInfo* reply) {
  const absl::Time start = absl::Now();
  CallRecord record;
  record.identity = IdentifyCall(context);
  record.method = "Info";
  record.peer = context->peer();
  const absl::Status auth = Authenticate(*context);
  if (auth.ok()) *reply = info_;
  record.status = auth;
  record.bytes_out = auth.ok() ? reply->ByteSizeLong() : 0;
  record.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  env_->RecordEndedCall(record);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(auth));
  return reactor;
}

}  // namespace qbake
