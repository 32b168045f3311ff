#include "server/baker_service.h"

#include "server/bake_reactor.h"
#include "server/bake_stream_reactor.h"

namespace qbake {

grpc::ServerWriteReactor<v1::BakeEvent>* BakerService::Bake(grpc::CallbackServerContext* context,
                                                            const v1::BakeRequest* request) {
  return new BakeReactor(*env_, context, request);
}

grpc::ServerBidiReactor<v1::BakeStreamRequest, v1::BakeEvent>* BakerService::BakeStream(
    grpc::CallbackServerContext* context) {
  return new BakeStreamReactor(*env_, context);
}

}  // namespace qbake
