// `qbake bake` on a model whose tensors are ONNX external data: the baked bytes go
// back to the same locations, offsets and lengths beside the output model, everything
// else in those files is kept, and a location outside the model's folder is refused.
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_support.h"
#include "tests/support/model_parameters.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/small_model.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

onnx::TensorProto* FindParameter(onnx::ModelProto* model, const std::string& name) {
  for (const auto& [found, tensor] : Parameters(model)) {
    if (found == name) return tensor;
  }
  ADD_FAILURE() << "no parameter " << name;
  return nullptr;
}

class ExternalDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    written_ = WriteExternalSmallModel(input_.path());
    WriteFileOrDie(input_.path() / "config.json", SmallModelConfig());
  }

  ProcessResult Bake() {
    return RunQbake({"bake", input_ / "model.onnx", "--config", input_ / "config.json", "--output",
                     output_ / "out.onnx"});
  }

  // Rewrites the model with W's location replaced.
  void SetLocationOfW(const std::string& location) {
    onnx::TensorProto* w = FindParameter(&written_, "W");
    w->mutable_external_data(0)->set_value(location);
    WriteFileOrDie(input_.path() / "model.onnx", written_.SerializeAsString());
  }

  void ExpectRefused(const ProcessResult& result, const std::string& location) {
    EXPECT_EQ(result.exit_code, 1);
    ASSERT_EQ(result.ErrLines().size(), 1u) << result.err;
    EXPECT_THAT(result.err, HasSubstr("tensor 'W'"));
    EXPECT_THAT(result.err, HasSubstr(location));
    EXPECT_THAT(FolderNames(output_.path()), IsEmpty());
  }

  ScratchFolder outside_;
  ScratchFolder input_;
  ScratchFolder output_;
  onnx::ModelProto written_;
};

TEST_F(ExternalDataTest, BakedBytesGoBackToTheSameRanges) {
  const ProcessResult result = Bake();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(FolderNames(output_.path()),
              ElementsAre("out.json", "out.onnx", "sub", "weights.bin"));
  const std::map<std::string, std::string> expected = SmallModelBakedBytes();
  const std::string original = ReadFileOrDie(input_ / "weights.bin");
  const std::string weights = ReadFileOrDie(output_ / "weights.bin");
  ASSERT_EQ(weights.size(), static_cast<size_t>(kWeightsFileSize));
  EXPECT_TRUE(weights.substr(64, 128) == expected.at("W"));
  EXPECT_TRUE(weights.substr(64, 128) != original.substr(64, 128));
  EXPECT_TRUE(weights.substr(0, 64) == original.substr(0, 64));  // B and the filler
  EXPECT_TRUE(weights.substr(192) == original.substr(192));
  EXPECT_TRUE(ReadFileOrDie(output_ / "sub/k.bin") == expected.at("k"));
}

// W bakes first (config order), into its staged file; k's NaN then fails the bake,
// and nothing of it stays.
TEST_F(ExternalDataTest, ABadParameterAfterABakedOneLeavesNoOutput) {
  std::string k = ReadFileOrDie(input_ / "sub/k.bin");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(k.data() + 8, &nan, sizeof(nan));
  WriteFileOrDie(input_.path() / "sub/k.bin", k);
  const ProcessResult result = Bake();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err,
            "qbake: error: operation 'add', variable 'k', field 'value': parameter holds nan at "
            "flat index 2; baking needs finite values\n");
  EXPECT_THAT(FolderNames(output_.path()), IsEmpty());
}

TEST_F(ExternalDataTest, OutputModelKeepsTheTensorsExternal) {
  ASSERT_EQ(Bake().exit_code, 0);
  onnx::ModelProto baked = ParseModelOrDie(output_ / "out.onnx");
  EXPECT_TRUE(baked.SerializeAsString() == written_.SerializeAsString());
  EXPECT_FALSE(FindParameter(&baked, "W")->has_raw_data());
}

TEST_F(ExternalDataTest, LocationClimbingOutIsRefused) {
  WriteFileOrDie(outside_.path() / "w.bin", std::string(128, '\0'));
  const std::string location = "../" + outside_.path().filename().string() + "/w.bin";
  SetLocationOfW(location);
  ExpectRefused(Bake(), location);
}

TEST_F(ExternalDataTest, LocationClimbingOutThroughASubfolderIsRefused) {
  SetLocationOfW("sub/../../weights.bin");
  ExpectRefused(Bake(), "sub/../../weights.bin");
}

TEST_F(ExternalDataTest, AbsoluteLocationIsRefused) {
  WriteFileOrDie(outside_.path() / "w.bin", std::string(128, '\0'));
  SetLocationOfW(outside_ / "w.bin");
  ExpectRefused(Bake(), outside_ / "w.bin");
}

TEST_F(ExternalDataTest, SymlinkLeadingOutIsRefused) {
  WriteFileOrDie(outside_.path() / "w.bin", std::string(128, '\0'));
  fs::create_symlink(outside_.path() / "w.bin", input_.path() / "link.bin");
  SetLocationOfW("link.bin");
  ExpectRefused(Bake(), "link.bin");
}

TEST_F(ExternalDataTest, SymlinkLeadingOutOfTheOutputFolderIsRefused) {
  WriteFileOrDie(outside_.path() / "w.bin", "outside");
  fs::create_symlink(outside_.path() / "w.bin", output_.path() / "weights.bin");
  const ProcessResult result = Bake();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("tensor '"));
  EXPECT_THAT(result.err, HasSubstr("weights.bin"));
  EXPECT_THAT(FolderNames(output_.path()), ElementsAre("weights.bin"));
  EXPECT_EQ(ReadFileOrDie(outside_ / "w.bin"), "outside");
}

TEST_F(ExternalDataTest, MissingFileNamesTensorAndLocation) {
  SetLocationOfW("absent.bin");
  ExpectRefused(Bake(), "absent.bin");
}

TEST_F(ExternalDataTest, RangePastTheEndOfTheFileIsRefused) {
  onnx::TensorProto* w = FindParameter(&written_, "W");
  w->mutable_external_data(1)->set_value("100");  // offset 100 + length 128 > 200
  WriteFileOrDie(input_.path() / "model.onnx", written_.SerializeAsString());
  ExpectRefused(Bake(), "weights.bin");
}

}  // namespace
}  // namespace qbake::testing
