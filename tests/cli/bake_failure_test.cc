// A failed `qbake bake` exits non-zero with exactly one "qbake: error:" line naming the
// culprit and leaves no output file of any kind, not even a temporary.
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_test_support.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

const std::string kCase = "ppq_e2e/synth_trt_int8/";

class BakeFailureTest : public ::testing::Test {
 protected:
  // Bakes `model` with `config` into the output folder.
  ProcessResult Bake(const std::string& model, const std::string& config,
                     std::vector<std::string> extra = {}) {
    return BakeInto(model, config, output_, std::move(extra));
  }

  std::string WriteConfig(const std::string& text) {
    WriteFileOrDie(input_.path() / "config.json", text);
    return input_ / "config.json";
  }

  static void ExpectOneErrorLine(const ProcessResult& result, int exit_code,
                                 const std::string& culprit) {
    EXPECT_EQ(result.exit_code, exit_code);
    EXPECT_EQ(result.out, "");
    ASSERT_EQ(result.ErrLines().size(), 1u) << result.err;
    EXPECT_THAT(result.err, StartsWith("qbake: error: "));
    EXPECT_THAT(result.err, HasSubstr(culprit));
  }

  ScratchFolder input_;
  ScratchFolder output_;
};

TEST_F(BakeFailureTest, MalformedConfigJson) {
  const std::string config = WriteConfig("{\"configs\": {\"/c1/Conv\": ");
  const ProcessResult result = Bake(TestDataPath(kCase + "model.onnx"), config);
  ExpectOneErrorLine(result, 1, config);
  EXPECT_THAT(FolderNames(output_.path()), IsEmpty());
}

TEST_F(BakeFailureTest, UnknownOperation) {
  nlohmann::json config =
      nlohmann::json::parse(ReadFileOrDie(TestDataPath(kCase + "ppq_config.json")));
  config["configs"]["/no/such/Conv"] = config["configs"]["/c1/Conv"];
  const ProcessResult result = Bake(TestDataPath(kCase + "model.onnx"), WriteConfig(config.dump()));
  ExpectOneErrorLine(result, 1, "/no/such/Conv");
  EXPECT_THAT(FolderNames(output_.path()), IsEmpty());
}

TEST_F(BakeFailureTest, MissingModel) {
  const std::string model = input_ / "absent.onnx";
  const ProcessResult result = Bake(model, TestDataPath(kCase + "ppq_config.json"));
  ExpectOneErrorLine(result, 1, model);
  EXPECT_THAT(FolderNames(output_.path()), IsEmpty());
}

TEST_F(BakeFailureTest, ModelThatIsNotOnnx) {
  WriteFileOrDie(input_.path() / "model.onnx", "this is not a protobuf \xff\xff\xff");
  const ProcessResult result = Bake(input_ / "model.onnx", TestDataPath(kCase + "ppq_config.json"));
  ExpectOneErrorLine(result, 1, input_ / "model.onnx");
  EXPECT_THAT(FolderNames(output_.path()), IsEmpty());
}

TEST_F(BakeFailureTest, FailedBakeLeavesAnExistingOutputAlone) {
  WriteFileOrDie(output_.path() / "out.onnx", "previous output");
  const ProcessResult result = Bake(TestDataPath(kCase + "model.onnx"), WriteConfig("not json"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(FolderNames(output_.path()), ElementsAre("out.onnx"));
  EXPECT_EQ(ReadFileOrDie(output_ / "out.onnx"), "previous output");
}

TEST_F(BakeFailureTest, WriteFailureRemovesEveryStagedOutput) {
  std::filesystem::create_directory(output_.path() /
                                    "report.json");  // the report cannot be written
  const ProcessResult result =
      Bake(TestDataPath(kCase + "model.onnx"), TestDataPath(kCase + "ppq_config.json"));
  ExpectOneErrorLine(result, 1, output_ / "report.json");
  EXPECT_THAT(FolderNames(output_.path()), ElementsAre("report.json"));
}

TEST_F(BakeFailureTest, OutputsThatCollide) {
  const ProcessResult result =
      Bake(TestDataPath(kCase + "model.onnx"), TestDataPath(kCase + "ppq_config.json"),
           {"--config-out", output_ / "report.json"});
  ExpectOneErrorLine(result, 1, output_ / "report.json");
  EXPECT_THAT(FolderNames(output_.path()), IsEmpty());
}

TEST_F(BakeFailureTest, FailedWriteRemovesFoldersItCreated) {
  std::filesystem::create_directory(output_.path() / "report.json");
  const ProcessResult result =
      RunQbake({"bake", TestDataPath(kCase + "model.onnx"), "--config",
                TestDataPath(kCase + "ppq_config.json"), "--output",
                output_ / "new/deeper/out.onnx", "--report", output_ / "report.json"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(FolderNames(output_.path()), ElementsAre("report.json"));
}

TEST_F(BakeFailureTest, UsageErrorsExitWithTwo) {
  const std::string model = TestDataPath(kCase + "model.onnx");
  const std::string config = TestDataPath(kCase + "ppq_config.json");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"bake", model, "--config", config}, "--output"},
      {{"bake", "--config", config, "--output", output_ / "o.onnx"}, "MODEL"},
      {{"bake", model, "--config", config, "--output", output_ / "o.onnx", "--threads", "many"},
       "--threads"},
      {{"bake", model, "--config", config, "--output", output_ / "o.onnx", "--rounding",
        "ROUND_SIDEWAYS"},
       "--rounding"},
      {{"bake", model, "--config", "--output", output_ / "o.onnx"}, "--config"},
      {{"bake", model, model, "--config", config, "--output", output_ / "o.onnx"}, model},
  };
  for (const auto& [args, culprit] : cases) {
    SCOPED_TRACE(culprit);
    ExpectOneErrorLine(RunQbake(args), 2, culprit);
  }
  EXPECT_THAT(FolderNames(output_.path()), IsEmpty());
}

}  // namespace
}  // namespace qbake::testing
