// One BakeStream call: the model arrives in chunks (see StreamAssembler). Messages
// are parsed and taken on gRPC's threads (see byte_buffer_messages.h); parsing the
// model and baking run on the pool. Once the model is parsed, its inline parameters
// bake at once and each external one as soon as its last byte arrives, while the
// events stream back (see BakeCallReactor). One message is read at a time, and none while the
// pipeline is full or the model is being parsed.
#ifndef QBAKE_SERVER_BAKE_STREAM_REACTOR_H_
#define QBAKE_SERVER_BAKE_STREAM_REACTOR_H_

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "qbake/v1/bake.pb.h"
#include "server/bake_call_reactor.h"
#include "server/call_environment.h"
#include "server/stream_assembler.h"

namespace qbake {

class BakeStreamReactor final
    : public BakeCallReactor<grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>> {
 public:
  // Deletes itself when the call is done.
  BakeStreamReactor(const CallEnvironment& env, grpc::CallbackServerContext* context);

 private:
  void OnReadDone(bool ok) override;
  void ReadMore() override;
  // Hands the message read to the assembler and the tensors it completes to
  // MarkReady; kParseModel stops reading until ParseModel is done.
  absl::StatusOr<StreamAssembler::Step> Take();
  // On the pool: parses the model and starts the bake.
  void ParseModel();
  // After the client half-closed: checks that every byte came.
  void EndOfInput();

  StreamAssembler assembler_;
  grpc::ByteBuffer message_bytes_;  // the read in flight
  v1::BakeStreamRequest message_;
  uint64_t messages_read_ = 0;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;  // a read is in flight
  bool parsing_ ABSL_GUARDED_BY(mu_) = false;  // no reads until the model is parsed
};

}  // namespace qbake

#endif  // QBAKE_SERVER_BAKE_STREAM_REACTOR_H_
