// One Bake call: the whole model in the request. On the pool, the model's size is
// checked, it is parsed and the configs read; then its parameters bake one by one
// in config order while the events stream back (see BakeCallReactor).
#ifndef QBAKE_SERVER_BAKE_REACTOR_H_
#define QBAKE_SERVER_BAKE_REACTOR_H_

#include "grpcpp/grpcpp.h"
#include "qbake/v1/bake.pb.h"
#include "server/bake_call_reactor.h"
#include "server/call_environment.h"

namespace qbake {

class BakeReactor final : public BakeCallReactor<grpc::ServerWriteReactor<v1::BakeEvent>> {
 public:
  // Deletes itself when the call is done.
  BakeReactor(const CallEnvironment& env, grpc::CallbackServerContext* context,
              const v1::BakeRequest* request);

 private:
  void Receive();

  const v1::BakeRequest* const request_;  // gRPC's, valid until the call is done
};

}  // namespace qbake

#endif  // QBAKE_SERVER_BAKE_REACTOR_H_
