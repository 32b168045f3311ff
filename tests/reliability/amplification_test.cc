// What a call declares or repeats costs the server little: its memory follows the
// bytes received (external data declared but not sent), and a model or request that
// would parse into many times its size is refused before it is parsed. Through the real
// qbake-server process, its peak resident memory measured.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/ppq_config_document.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "qbake/v1/bake.grpc.pb.h"
#include "tests/reliability/reliability_support.h"
#include "tests/support/generic_exchange.h"
#include "tests/support/model_parameters.h"
#include "tests/support/small_model.h"
#include "tests/support/stream_requests.h"
#include "tests/support/wire_bytes.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kDeclaredBytes = uint64_t{1} << 30;
constexpr size_t kPiece = size_t{1} << 20;

// SmallModel with W declared as 1 GiB of external data ([2^25, 8] floats).
onnx::ModelProto ModelDeclaringAGibibyte() {
  onnx::ModelProto model = SmallModel();
  for (auto& [name, tensor] : Parameters(&model)) {
    if (name != "W") continue;
    MakeExternal(
        tensor,
        {{"location", kBlobLocation}, {"offset", "0"}, {"length", std::to_string(kDeclaredBytes)}});
    tensor->clear_dims();
    tensor->add_dims(int64_t{1} << 25);
    tensor->add_dims(8);
  }
  return model;
}

TEST(AmplificationTest, ADeclaredGibibyteCostsOnlyTheBytesSent) {
  const std::unique_ptr<ServerProcess> server = StartServerMeasuringMemory();
  ASSERT_GT(server->port(), 0) << server->Stderr();
  const int64_t idle_kib = ResidentKib(server->pid());
  ResetPeakResident(server->pid());

  absl::StatusOr<PpqConfigDocument> config = PpqConfigDocument::Parse(SmallModelConfig());
  ASSERT_TRUE(config.ok());
  const std::string model = ModelDeclaringAGibibyte().SerializeAsString();
  auto stub = v1::Baker::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()),
                                                     grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  auto stream = stub->BakeStream(&context);
  v1::BakeStreamRequest model_data;
  model_data.set_model_data(model);
  // W's first MiB, its last (ahead of all between), then its first byte again: the
  // call ends on that, having taken in the two MiB before.
  for (const v1::BakeStreamRequest& request :
       {HeaderRequest(config->specs(), {}, model.size()), model_data,
        ExternalRequest(kBlobLocation, 0, std::string(kPiece, '\x01')),
        ExternalRequest(kBlobLocation, kDeclaredBytes - kPiece, std::string(kPiece, '\x02')),
        ExternalRequest(kBlobLocation, 0, "\x03")}) {
    if (!stream->Write(request)) break;
  }
  stream->WritesDone();
  for (v1::BakeEvent event; stream->Read(&event);) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("overlap bytes sent before"));

  // The two MiB, the model, gRPC's 8 MiB stream window and room to spare; not the
  // declared GiB (only reserved: under ASan, its shadow).
  const int64_t allowed_kib =
      static_cast<int64_t>(64 * 1024 * kShadowFactor + kDeclaredBytes / 1024 * kReservedShadow);
  EXPECT_LT(PeakResidentKib(server->pid()) - idle_kib, allowed_kib);
  EXPECT_EQ(AwaitLoggedCode(*server), "INVALID_ARGUMENT");
}

class ManyEmptyMessagesTest : public ::testing::Test {
 protected:
  ManyEmptyMessagesTest() : server_(StartServerMeasuringMemory()) {
    EXPECT_GT(server_->port(), 0) << server_->Stderr();
    idle_kib_ = ResidentKib(server_->pid());
    ResetPeakResident(server_->pid());
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Baker::NewStub(channel_);
  }

  // Refused before parsing, naming `field`; the server's peak stayed within the
  // request's bytes a few times over and gRPC's window, then it bakes.
  void ExpectRefusedCheaply(const grpc::Status& status, size_t request_bytes,
                            const std::string& field = "onnx.GraphProto.initializer") {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(status.error_message(), HasSubstr("in " + field));
    const auto allowed_kib =
        static_cast<int64_t>((4 * request_bytes / 1024 + 64 * 1024) * kShadowFactor);
    EXPECT_LT(PeakResidentKib(server_->pid()) - idle_kib_, allowed_kib);
    EXPECT_EQ(AwaitLoggedCode(*server_), "RESOURCE_EXHAUSTED");
    EXPECT_EQ(RunHealth(*server_).out, "SERVING\n");
  }

  std::unique_ptr<ServerProcess> server_;
  int64_t idle_kib_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Baker::Stub> stub_;
};

// 4 MB in one Bake message parsed into about 480 MiB before.
TEST_F(ManyEmptyMessagesTest, BakeOfTwoMillionEmptyInitializers) {
  v1::BakeRequest request;
  request.set_model(EmptyInitializers(2000000));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  auto reader = stub_->Bake(&context, request);
  for (v1::BakeEvent event; reader->Read(&event);) {
  }
  ExpectRefusedCheaply(reader->Finish(), request.ByteSizeLong());
}

// 4 MB of empty configs in one Bake request: gRPC parsed them into 264 MiB before
// the service saw them, when it took requests as messages.
TEST_F(ManyEmptyMessagesTest, BakeOfTwoMillionEmptyConfigs) {
  const std::string request = EmptyFields(2, 2000000);  // BakeRequest.configs
  grpc::Slice slice(request);
  GenericExchange<grpc::ByteBuffer, grpc::ByteBuffer> exchange(channel_, "/qbake.v1.Baker/Bake",
                                                               {grpc::ByteBuffer(&slice, 1)});
  ExpectRefusedCheaply(exchange.Await(), request.size(), "qbake.v1.BakeRequest.configs");
}

// 16 MB through BakeStream parsed into about 2.7 GiB before.
TEST_F(ManyEmptyMessagesTest, BakeStreamOfEightMillionEmptyInitializers) {
  const std::string model = EmptyInitializers(8000000);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  auto stream = stub_->BakeStream(&context);
  stream->Write(HeaderRequest({}, {}, model.size()));
  constexpr size_t kModelPiece = size_t{1} << 20;
  for (size_t at = 0; at < model.size(); at += kModelPiece) {
    v1::BakeStreamRequest piece;
    piece.set_model_data(model.substr(at, kModelPiece));
    if (!stream->Write(piece)) break;
  }
  stream->WritesDone();
  for (v1::BakeEvent event; stream->Read(&event);) {
  }
  ExpectRefusedCheaply(stream->Finish(), model.size());
}

}  // namespace
}  // namespace qbake::testing
