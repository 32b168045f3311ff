// `qbake bake --server` against the real qbake-server process: on every PPQ case and
// on a model held as external data, the output files equal a local bake's byte for
// byte (the report but for its timings); a bad config fails with the local bake's
// very error line, and the server goes on SERVING.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/remote_test_support.h"
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
