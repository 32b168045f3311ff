// The server's limits through the real qbake-server process and the real CLI:
// calls beyond --max-concurrent are refused while the admitted call is still
// running (no queue), and a model above --max-model-bytes is refused before its
// bytes are taken in (the server logs taking in the header alone). Each time
// nothing is written and the server goes on SERVING and baking.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/ppq_config_document.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "qbake/v1/bake.grpc.pb.h"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/remote_test_support.h"
#include "tests/reliability/reliability_support.h"
#include "tests/server/stream_requests.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A BakeStream call the server has admitted and that stays open: SmallModel with a
// 2 MiB W sent as external data, all but its last piece. The server bakes and sends
// the inline Constant k at once (the first event, read here: proof of admission)
// and then waits for the rest of W until the call is cancelled.
class HeldCall {
 public:
  explicit HeldCall(const ServerProcess& server)
      : stub_(v1::Baker::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.port()),
                                                     grpc::InsecureChannelCredentials()))) {
    absl::StatusOr<PpqConfigDocument> config = PpqConfigDocument::Parse(SmallModelConfig());
    EXPECT_TRUE(config.ok());
    StreamLayout layout;
    layout.external_piece = size_t{1} << 16;
    const std::vector<v1::BakeStreamRequest> requests =
        StreamRequests(ModelWithRows(int64_t{1} << 16), config->specs(), {}, layout);
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

class ProcessLimitsTest : public ::testing::Test {
 protected:
  ProcessLimitsTest() {
    WriteFileOrDie(inputs_.path() / "small.onnx", SmallModel().SerializeAsString());
    WriteFileOrDie(inputs_.path() / "config.json", SmallModelConfig());
  }

  // `qbake bake` of `model` through `server` into a fresh folder, which must stay
  // empty when the bake fails.
  ProcessResult Bake(const std::string& model, const ServerProcess& server) const {
    ScratchFolder out;
    ProcessResult run =
        BakeInto(inputs_ / model, inputs_ / "config.json", out, RemoteFlags(server));
    if (run.exit_code != 0) {
      EXPECT_THAT(FilesUnder(out.path()), IsEmpty()) << model;
    }
    return run;
  }

  // The server is SERVING and bakes the small model.
  void ExpectServingAndBaking(const ServerProcess& server) const {
    EXPECT_EQ(RunHealth(server).out, "SERVING\n");
    const ProcessResult run = Bake("small.onnx", server);
    EXPECT_EQ(run.exit_code, 0) << run.err;
  }

  ScratchFolder inputs_;
};

TEST_F(ProcessLimitsTest, CallsBeyondMaxConcurrentAreRefusedWhileTheAdmittedOneRuns) {
  constexpr int kRefusedCalls = 5;
  const std::unique_ptr<ServerProcess> server = StartServer({"--max-concurrent", "1"});
  {
    HeldCall held(*server);
    ASSERT_TRUE(held.admitted());
    for (int call = 0; call < kRefusedCalls; ++call) {
      const ProcessResult refused = Bake("small.onnx", *server);
      EXPECT_EQ(refused.exit_code, 1) << refused.err;
      EXPECT_EQ(refused.ErrLines().size(), 1u) << refused.err;
      EXPECT_THAT(refused.err, HasSubstr("--max-concurrent"));
    }
  }
  // Each refused call ended on its own, and the held call only once let go.
  std::vector<std::string> codes(kRefusedCalls, "RESOURCE_EXHAUSTED");
  codes.push_back("CANCELLED");
  EXPECT_EQ(AwaitLoggedCodes(*server, codes.size()), codes);
  ExpectServingAndBaking(*server);
}

TEST_F(ProcessLimitsTest, ModelAboveMaxModelBytesIsRefusedBeforeItIsTakenIn) {
  constexpr int64_t kRows = int64_t{1} << 20;  // a 32 MiB W, sent through BakeStream
  WriteFileOrDie(inputs_.path() / "large.onnx", ModelWithRows(kRows).SerializeAsString());
  const std::unique_ptr<ServerProcess> server = StartServer({"--max-model-bytes", "1MiB"});

  const ProcessResult refused = Bake("large.onnx", *server);
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_EQ(refused.ErrLines().size(), 1u) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("--max-model-bytes"));
  EXPECT_EQ(AwaitLoggedCode(*server), "RESOURCE_EXHAUSTED");
  // The server took in the header and nothing of the 32 MiB behind it.
  const std::vector<nlohmann::json> calls = LoggedCalls(server->Stderr());
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_LT(calls[0]["bytes_in"].get<int64_t>(), 64 * 1024) << calls[0].dump();
  ExpectServingAndBaking(*server);
}

}  // namespace
}  // namespace qbake::testing
