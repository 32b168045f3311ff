// qbake.v1.Baker on gRPC's callback API: each call gets a reactor that deletes
// itself when done. Stateless: nothing outlives a call.
#ifndef QBAKE_SERVER_BAKER_SERVICE_H_
#define QBAKE_SERVER_BAKER_SERVICE_H_

#include "grpcpp/grpcpp.h"
#include "qbake/v1/bake.grpc.pb.h"
#include "server/call_environment.h"

namespace qbake {

class BakerService final : public v1::Baker::CallbackService {
 public:
  // `env` must outlive every call.
  explicit BakerService(const CallEnvironment* env) : env_(env) {}

  grpc::ServerWriteReactor<v1::BakeEvent>* Bake(grpc::CallbackServerContext* context,
                                                const v1::BakeRequest* request) override;
  grpc::ServerBidiReactor<v1::BakeStreamRequest, v1::BakeEvent>* BakeStream(
      grpc::CallbackServerContext* context) override;

 private:
  const CallEnvironment* env_;
};

}  // namespace qbake

#endif  // QBAKE_SERVER_BAKER_SERVICE_H_
