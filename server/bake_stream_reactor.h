// One BakeStream call: the model arrives in chunks (see StreamAssembler). Messages
// are taken on gRPC's threads (a copy each); parsing the model, filling in its
// external data and baking run on the pool; then the events stream back (see
// BakeCallReactor). The next message is read only when the last one is taken, so
// at most one message is buffered.
#ifndef QBAKE_SERVER_BAKE_STREAM_REACTOR_H_
#define QBAKE_SERVER_BAKE_STREAM_REACTOR_H_

#include "grpcpp/grpcpp.h"
#include "qbake/v1/bake.pb.h"
#include "server/bake_call_reactor.h"
#include "server/call_environment.h"
#include "server/stream_assembler.h"

namespace qbake {

class BakeStreamReactor final
    : public BakeCallReactor<grpc::ServerBidiReactor<v1::BakeStreamRequest, v1::BakeEvent>> {
 public:
  // Deletes itself when the call is done.
  BakeStreamReactor(const CallEnvironment& env, grpc::CallbackServerContext* context);

 private:
  void OnReadDone(bool ok) override;
  void ParseModelThenRead();
  void AssembleAndBake();

  StreamAssembler assembler_;
  v1::BakeStreamRequest request_;
};

}  // namespace qbake

#endif  // QBAKE_SERVER_BAKE_STREAM_REACTOR_H_
