// `qbake bake` on a model whose tensors are inline, the common case: a local bake
// rewrites each parameter's raw_data where it lies in the model file and keeps every
// other byte of the file as it was; a parameter whose values lie elsewhere
// (float_data) is baked with the whole model, parsed and serialized again.
#include <cstring>
#include <string>

#include "cli/model_skeleton.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_support.h"
#include "tests/support/model_parameters.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/small_model.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

class InlineDataTest : public ::testing::Test {
 protected:
  void SetUp() override { WriteFileOrDie(input_.path() / "config.json", SmallModelConfig()); }

  ProcessResult Bake(const std::string& model_bytes) {
    WriteFileOrDie(input_.path() / "model.onnx", model_bytes);
    return RunQbake({"bake", input_ / "model.onnx", "--config", input_ / "config.json", "--output",
                     output_ / "out.onnx"});
  }

  ScratchFolder input_;
  ScratchFolder output_;
};

// SmallModel with its graph field first: protobuf parses it as the same model, and
// serializes it again with the graph last.
std::string GraphFirst() {
  onnx::ModelProto model = SmallModel();
  onnx::ModelProto graph_only;
  *graph_only.mutable_graph() = model.graph();
  model.clear_graph();
  return graph_only.SerializeAsString() + model.SerializeAsString();
}

TEST_F(InlineDataTest, BakedBytesReplaceTheirsAndEveryOtherByteIsKept) {
  const std::string input = GraphFirst();
  const ProcessResult result = Bake(input);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::string output = ReadFileOrDie(output_ / "out.onnx");
  ASSERT_EQ(output.size(), input.size());
  onnx::ModelProto baked;
  ASSERT_TRUE(baked.ParseFromString(output));
  for (const auto& [name, bytes] : SmallModelBakedBytes()) {
    for (const auto& [found, tensor] : Parameters(&baked)) {
      if (found == name) EXPECT_TRUE(tensor->raw_data() == bytes) << name;
    }
  }
  // With the input's raw_data put back, the output is the input.
  absl::StatusOr<RegularFile> file = RegularFile::Open(input_.path() / "model.onnx");
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<ModelSkeleton> skeleton = ReadModelSkeleton(*file, 1024);
  ASSERT_TRUE(skeleton.ok()) << skeleton.status();
  for (const InlineDataSpan& span : skeleton->spans) {
    output.replace(span.offset, span.length, input.substr(span.offset, span.length));
  }
  EXPECT_TRUE(output == input);
  EXPECT_TRUE(output != ReadFileOrDie(output_ / "out.onnx"));  // W and k were baked
}

TEST_F(InlineDataTest, AParameterInFloatDataIsBakedWithTheWholeModel) {
  onnx::ModelProto model = SmallModel();
  for (auto& [name, tensor] : Parameters(&model)) {
    if (name != "W") continue;
    const std::string& raw = tensor->raw_data();
    for (size_t i = 0; i < raw.size(); i += 4) {
      float value;
      std::memcpy(&value, raw.data() + i, 4);
      tensor->add_float_data(value);
    }
    tensor->clear_raw_data();
  }
  const ProcessResult result = Bake(model.SerializeAsString());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  onnx::ModelProto baked = ParseModelOrDie(output_ / "out.onnx");
  const std::map<std::string, std::string> expected = SmallModelBakedBytes();
  for (const auto& [name, tensor] : Parameters(&baked)) {
    if (name == "W") {
      ASSERT_EQ(tensor->float_data_size() * 4, static_cast<int>(expected.at("W").size()));
      EXPECT_EQ(std::memcmp(tensor->float_data().data(), expected.at("W").data(),
                            expected.at("W").size()),
                0);
    }
    if (name == "k") EXPECT_TRUE(tensor->raw_data() == expected.at("k"));
  }
}

}  // namespace
}  // namespace qbake::testing
