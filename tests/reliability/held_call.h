// A BakeStream call that holds one of a qbake-server process's places for as long as
// the test likes: admitted (its first event has arrived) with its last message held
// back, cancelled when destroyed.
#ifndef QBAKE_TESTS_RELIABILITY_HELD_CALL_H_
#define QBAKE_TESTS_RELIABILITY_HELD_CALL_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/ppq_config_document.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "qbake/v1/bake.grpc.pb.h"
#include "tests/reliability/reliability_support.h"
#include "tests/support/server_process.h"
#include "tests/support/small_model.h"
#include "tests/support/stream_requests.h"

namespace qbake::testing {

inline std::unique_ptr<v1::Baker::Stub> StubFor(const ServerProcess& server) {
  return v1::Baker::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.port()),
                                                grpc::InsecureChannelCredentials()));
}

// The BakeStream messages of SmallModel with a W of `rows` x 8 floats, W's bytes sent
// as external data in pieces of `piece` bytes.
inline std::vector<v1::BakeStreamRequest> WeightStream(int64_t rows, size_t piece) {
  absl::StatusOr<PpqConfigDocument> config = PpqConfigDocument::Parse(SmallModelConfig());
  EXPECT_TRUE(config.ok());
  StreamLayout layout;
  layout.external_piece = piece;
  return StreamRequests(ModelWithRows(rows), config->specs(), {}, layout);
}

// A BakeStream call the server has admitted and that stays open: SmallModel with a
// 2 MiB W sent as external data, all but its last piece. The server bakes and sends
// the inline Constant k at once (the first event, read here: proof of admission)
// and then waits for the rest of W until the call is cancelled.
class HeldCall {
 public:
  explicit HeldCall(const ServerProcess& server) : stub_(StubFor(server)) {
    const std::vector<v1::BakeStreamRequest> requests =
        WeightStream(int64_t{1} << 16, size_t{1} << 16);
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    stream_ = stub_->BakeStream(&context_);
    for (size_t i = 0; i + 1 < requests.size(); ++i) EXPECT_TRUE(stream_->Write(requests[i]));
    v1::BakeEvent first;
    admitted_ = stream_->Read(&first);
  }

  ~HeldCall() {
    context_.TryCancel();
    for (v1::BakeEvent event; stream_->Read(&event);) {
    }
    stream_->Finish();
  }

  // The server sent the call's first event.
  bool admitted() const { return admitted_; }

 private:
  std::unique_ptr<v1::Baker::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::BakeStreamRequest, v1::BakeEvent>> stream_;
  bool admitted_ = false;
};

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_RELIABILITY_HELD_CALL_H_
