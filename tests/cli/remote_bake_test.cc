// `qbake bake --server` against the real qbake-server process: on every PPQ case and
// on a model held as external data, the output files equal a local bake's byte for
// byte (the report but for its timings); a bad config fails with the local bake's
// very error line, and the server goes on SERVING. Against a lying stand-in
// (fake_baker.h), the reply is refused and nothing is written.
#include <string>
#include <vector>

#include "core/ppq_config_document.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/remote_test_support.h"
#include "tests/client/bake_replies.h"
#include "tests/client/fake_baker.h"
#include "tests/support/model_builder.h"
#include "tests/support/model_parameters.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/small_model.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

using ::testing::IsEmpty;
using ::testing::StartsWith;

class RemoteBakeE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string CasePath(const std::string& file) const {
    return TestDataPath("ppq_e2e/" + GetParam() + "/" + file);
  }
};

TEST_P(RemoteBakeE2eTest, OutputsEqualALocalBakeByteForByte) {
  const std::unique_ptr<ServerProcess> server = StartServer();
  ScratchFolder local;
  ScratchFolder remote;
  const ProcessResult local_run =
      BakeInto(CasePath("model.onnx"), CasePath("ppq_config.json"), local);
  ASSERT_EQ(local_run.exit_code, 0) << local_run.err;
  const ProcessResult remote_run =
      BakeInto(CasePath("model.onnx"), CasePath("ppq_config.json"), remote, RemoteFlags(*server));
  ASSERT_EQ(remote_run.exit_code, 0) << remote_run.err << server->Stderr();
  EXPECT_EQ(remote_run.err, "");
  ExpectSameOutputs(local, remote);
}

INSTANTIATE_TEST_SUITE_P(PpqCases, RemoteBakeE2eTest, ::testing::ValuesIn(E2eCaseNames()),
                         [](const auto& info) { return info.param; });

TEST(RemoteBakeTest, ExternalDataOutputsEqualALocalBake) {
  const std::unique_ptr<ServerProcess> server = StartServer();
  ScratchFolder input;
  WriteExternalSmallModel(input.path());
  WriteFileOrDie(input.path() / "config.json", SmallModelConfig());
  ScratchFolder local;
  ScratchFolder remote;
  ASSERT_EQ(BakeInto(input / "model.onnx", input / "config.json", local).exit_code, 0);
  const ProcessResult remote_run =
      BakeInto(input / "model.onnx", input / "config.json", remote, RemoteFlags(*server));
  ASSERT_EQ(remote_run.exit_code, 0) << remote_run.err;
  EXPECT_EQ(FilesUnder(remote.path()),
            (std::vector<std::string>{"out.json", "out.onnx", "report.json", "sub/k.bin",
                                      "weights.bin"}));
  ExpectSameOutputs(local, remote);
}

// SmallModel with the Constant's value tensor (parameter "k") renamed to `name`.
onnx::ModelProto SmallModelWithConstantValueNamed(const std::string& name) {
  onnx::ModelProto model = SmallModel();
  for (auto& [parameter, tensor] : Parameters(&model)) {
    if (parameter == "k") tensor->set_name(name);
  }
  return model;
}

// A Constant's value tensor is found by the node's output, whatever its own name: none
// (what onnx.helper.make_tensor callers often leave), or another parameter's. The
// server once waited for it by that name and held the call until its deadline.
class ConstantValueNameTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ConstantValueNameTest, BakesRemotelyAsLocally) {
  const std::unique_ptr<ServerProcess> server = StartServer();
  ScratchFolder input;
  WriteFileOrDie(input.path() / "model.onnx",
                 SmallModelWithConstantValueNamed(GetParam()).SerializeAsString());
  WriteFileOrDie(input.path() / "config.json", SmallModelConfig());
  ScratchFolder local;
  ScratchFolder remote;
  const ProcessResult local_run = BakeInto(input / "model.onnx", input / "config.json", local);
  ASSERT_EQ(local_run.exit_code, 0) << local_run.err;
  const ProcessResult remote_run =
      BakeInto(input / "model.onnx", input / "config.json", remote, RemoteFlags(*server));
  ASSERT_EQ(remote_run.exit_code, 0) << remote_run.err << server->Stderr();
  ExpectSameOutputs(local, remote);
  const nlohmann::json report = nlohmann::json::parse(ReadFileOrDie(remote / "report.json"));
  EXPECT_EQ(report["parameters"].size(), 2u) << report.dump();
}

INSTANTIATE_TEST_SUITE_P(Names, ConstantValueNameTest, ::testing::Values("", "W", "B"),
                         [](const auto& info) {
                           return info.param.empty() ? std::string("Unnamed")
                                                     : "NamedLike" + info.param;
                         });

// Valid configs too large for any message (1.2 million per-channel scales) are
// refused by qbake before calling, naming the config, instead of a transport error.
TEST(RemoteBakeTest, ConfigsBeyondOneMessageAreRefusedNamingTheConfig) {
  constexpr int64_t kChannels = 1200000;
  const std::unique_ptr<ServerProcess> server = StartServer();
  onnx::ModelProto model = SmallModel();
  for (auto& [name, tensor] : Parameters(&model)) {
    if (name == "W")
      *tensor = MakeTensor("W", {kChannels, 1}, std::vector<float>(kChannels, 0.25f));
  }
  nlohmann::json config = nlohmann::json::parse(SmallModelConfig());
  config["configs"]["mm"]["W"]["policy"] = {"PER_CHANNEL", "LINEAR", "SYMMETRICAL"};
  config["values"]["1"] = {{"scale", std::vector<double>(kChannels, 0.5)},
                           {"zero_point", std::vector<int>(kChannels, 0)}};
  ScratchFolder input;
  WriteFileOrDie(input.path() / "model.onnx", model.SerializeAsString());
  WriteFileOrDie(input.path() / "config.json", config.dump());
  ScratchFolder local;
  ASSERT_EQ(BakeInto(input / "model.onnx", input / "config.json", local).exit_code, 0);
  ScratchFolder remote;
  const ProcessResult run =
      BakeInto(input / "model.onnx", input / "config.json", remote, RemoteFlags(*server));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.ErrLines().size(), 1u) << run.err;
  EXPECT_THAT(run.err, ::testing::HasSubstr("operation 'mm', variable 'W', field 'scale'"));
  EXPECT_THAT(run.err, ::testing::HasSubstr("bake this model locally"));
  EXPECT_THAT(FolderNames(remote.path()), IsEmpty());
  EXPECT_EQ(server->Stderr().find("\"method\""), std::string::npos) << "qbake called";
}

TEST(RemoteBakeTest, BadConfigFailsWithTheLocalErrorLineAndTheServerStaysServing) {
  const std::unique_ptr<ServerProcess> server = StartServer();
  const std::string kCase = "ppq_e2e/synth_trt_int8/";
  nlohmann::json config =
      nlohmann::json::parse(ReadFileOrDie(TestDataPath(kCase + "ppq_config.json")));
  config["configs"]["/no/such/Conv"] = config["configs"]["/c1/Conv"];
  ScratchFolder input;
  WriteFileOrDie(input.path() / "config.json", config.dump());
  const std::string model = TestDataPath(kCase + "model.onnx");
  ScratchFolder local;
  ScratchFolder remote;
  const ProcessResult local_run = BakeInto(model, input / "config.json", local);
  const ProcessResult remote_run =
      BakeInto(model, input / "config.json", remote, RemoteFlags(*server));
  EXPECT_EQ(local_run.exit_code, 1);
  EXPECT_EQ(remote_run.exit_code, 1);
  EXPECT_THAT(remote_run.err, StartsWith("qbake: error: "));
  EXPECT_EQ(remote_run.ErrLines().size(), 1u) << remote_run.err;
  EXPECT_EQ(remote_run.err, local_run.err);
  EXPECT_THAT(FolderNames(remote.path()), IsEmpty());
  const ProcessResult health = RunHealth(*server);
  EXPECT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(health.out, "SERVING\n");
}

// A server that sends data for a parameter no config bakes (`extra`, which qbake
// once wrote into the output model and exited 0) is refused: one error line naming
// it, exit code 1, and no output written.
TEST(RemoteBakeTest, DataForAParameterNoConfigBakesIsRefusedAndNothingWritten) {
  onnx::ModelProto model = SmallModel();
  *model.mutable_graph()->add_initializer() = MakeTensor("extra", {4}, {1, 2, 3, 4});
  const absl::StatusOr<PpqConfigDocument> config = PpqConfigDocument::Parse(SmallModelConfig());
  ASSERT_TRUE(config.ok()) << config.status();
  std::vector<v1::BakeEvent> reply =
      ReplyOf(BakeLocally(model, config->specs()), config->specs(), 1 << 20);
  InsertChunksBeforeConfigs(MakeTensor("extra", {4}, std::vector<float>(4, 666)), 1 << 20, &reply);
  FakeServer server;
  server.baker().SetReply({reply, grpc::Status::OK});
  ScratchFolder input;
  WriteFileOrDie(input.path() / "model.onnx", model.SerializeAsString());
  WriteFileOrDie(input.path() / "config.json", SmallModelConfig());
  ScratchFolder out;
  const ProcessResult run =
      BakeInto(input / "model.onnx", input / "config.json", out,
               {"--server", server.target(), "--deadline", std::string(kDeadlineSeconds)});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.ErrLines().size(), 1u) << run.err;
  EXPECT_THAT(run.err, ::testing::HasSubstr("malformed reply from the server: data for 'extra'"));
  EXPECT_THAT(FolderNames(out.path()), IsEmpty());
  EXPECT_EQ(server.baker().calls().size(), 1u);
}

TEST(RemoteBakeTest, ThreadsFlagIsForLocalBakesOnly) {
  const std::unique_ptr<ServerProcess> server = StartServer();
  const std::string kCase = "ppq_e2e/synth_trt_int8/";
  ScratchFolder out;
  std::vector<std::string> flags = RemoteFlags(*server);
  flags.insert(flags.end(), {"--threads", "2"});
  const ProcessResult run = BakeInto(TestDataPath(kCase + "model.onnx"),
                                     TestDataPath(kCase + "ppq_config.json"), out, flags);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, ::testing::HasSubstr("--threads"));
}

}  // namespace
}  // namespace qbake::testing
