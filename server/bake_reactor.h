// One Bake call: the whole model in the request. On the pool, the request is parsed
// (see byte_buffer_messages.h), the model's size checked, it is parsed and the
// configs read; then its parameters bake one by one in config order while the
// events stream back (see BakeCallReactor).
#ifndef QBAKE_SERVER_BAKE_REACTOR_H_
#define QBAKE_SERVER_BAKE_REACTOR_H_

#include "grpcpp/grpcpp.h"
#include "server/bake_call_reactor.h"
#include "server/call_environment.h"

namespace qbake {

class BakeReactor final : public BakeCallReactor<grpc::ServerWriteReactor<grpc::ByteBuffer>> {
 public:
  // Deletes itself when the call is done. `request`: gRPC's, valid until then.
  BakeReactor(const CallEnvironment& env, grpc::CallbackServerContext* context,
              const grpc::ByteBuffer* request);

 private:
  void Receive();

  // gRPC's request buffer, which gRPC made and destroys when the call is done, but
  // hands out as const: Receive empties it once its bytes are taken, so the call
  // does not hold them for its whole life.
  grpc::ByteBuffer* const request_;
};

}  // namespace qbake

#endif  // QBAKE_SERVER_BAKE_REACTOR_H_
