// `qbake bake --format`: the flags, their errors, and what a QDQ export tells the
// user (summary and report). The exported models themselves are checked in ONNX
// Runtime by tests/export (OrtExportCheck), locally and through the server.
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_test_support.h"
#include "tests/support/model_parameters.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

const std::string kCase = "ppq_e2e/synth_trt_int8/";

ProcessResult BakeCase(const ScratchFolder& output, std::vector<std::string> extra) {
  return BakeInto(TestDataPath(kCase + "model.onnx"), TestDataPath(kCase + "ppq_config.json"),
                  output, std::move(extra));
}

// The e2e case with every initializer of 4 KiB or more in folder/weights.bin.
void WriteCaseWithExternalWeights(const std::filesystem::path& folder) {
  onnx::ModelProto model = ParseModelOrDie(TestDataPath(kCase + "model.onnx"));
  std::string weights;
  for (auto& tensor : *model.mutable_graph()->mutable_initializer()) {
    if (tensor.raw_data().size() < 4096) continue;
    const std::string offset = std::to_string(weights.size());
    const std::string length = std::to_string(tensor.raw_data().size());
    weights += MakeExternal(&tensor,
                            {{"location", "weights.bin"}, {"offset", offset}, {"length", length}});
  }
  WriteFileOrDie(folder / "weights.bin", weights);
  WriteFileOrDie(folder / "model.onnx", model.SerializeAsString());
}

void ExpectUsageError(const ProcessResult& result, const std::string& message) {
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, StartsWith("qbake: error: "));
  EXPECT_THAT(result.err, HasSubstr(message));
}

TEST(ExportFormatTest, FlagValuesAreCheckedAsUsage) {
  ScratchFolder output;
  ExpectUsageError(BakeCase(output, {"--format", "onnx"}),
                   "--format must be baked, qdq or qdq-float, not 'onnx'");
  ExpectUsageError(BakeCase(output, {"--qdq-activations", "all"}),
                   "--qdq-activations needs --format qdq or qdq-float");
  ExpectUsageError(BakeCase(output, {"--format", "baked", "--qdq-activations", "none"}),
                   "--qdq-activations needs --format qdq or qdq-float");
  ExpectUsageError(BakeCase(output, {"--format", "qdq", "--qdq-activations", "some"}),
                   "--qdq-activations must be all or none, not 'some'");
  EXPECT_THAT(FolderNames(output.path()), IsEmpty());
}

TEST(ExportFormatTest, TheSummaryAndTheReportSayWhatWasStored) {
  ScratchFolder output;
  const ProcessResult result = BakeCase(output, {"--format", "qdq"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, ContainsRegex("stored as integers \\(QDQ\\): +8\n"));
  EXPECT_THAT(result.out, ContainsRegex("kept baked floats: +0\n"));
  EXPECT_THAT(result.out, ContainsRegex("activation QDQ pairs: +7\n"));
  EXPECT_THAT(result.out, ContainsRegex("opset: +13 -> 13\n"));
  const nlohmann::json report =
      nlohmann::json::parse(ReadFileOrDie(output.path() / "report.json"))["export"];
  EXPECT_EQ(report["format"], "qdq");
  ASSERT_EQ(report["stored"].size(), 8u);
  EXPECT_EQ(report["stored"][0]["data_type"], "INT8");
  EXPECT_TRUE(report["kept_float"].empty());
  EXPECT_EQ(report["activations"].size(), 7u);

  const onnx::ModelProto model = ParseModelOrDie(output.path() / "out.onnx");
  int dequantize = 0;
  for (const auto& node : model.graph().node()) dequantize += node.op_type() == "DequantizeLinear";
  EXPECT_EQ(dequantize, 8 + 7);  // weights, then one per activation pair
}

TEST(ExportFormatTest, AModelWithExternalDataGetsOneDataFileOfItsOwn) {
  ScratchFolder input;
  ScratchFolder output;
  WriteCaseWithExternalWeights(input.path());
  const std::string weights_before = ReadFileOrDie(input.path() / "weights.bin");
  const ProcessResult result =
      BakeInto(input.path() / "model.onnx", TestDataPath(kCase + "ppq_config.json"), output,
               {"--format", "qdq"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(FolderNames(output.path()),
              ElementsAre("out.json", "out.onnx", "out.onnx.data", "report.json"));
  EXPECT_EQ(ReadFileOrDie(input.path() / "weights.bin"), weights_before);

  onnx::ModelProto model = ParseModelOrDie(output.path() / "out.onnx");
  const std::string data = ReadFileOrDie(output.path() / "out.onnx.data");
  int external = 0;
  for (auto& [name, tensor] : Parameters(&model)) {
    if (tensor->data_location() != onnx::TensorProto::EXTERNAL) {
      EXPECT_LT(tensor->raw_data().size(), 1024u) << name;
      continue;
    }
    ++external;
    const std::map<std::string, std::string> entries = ExternalEntries(*tensor);
    EXPECT_EQ(entries.at("location"), "out.onnx.data") << name;
    EXPECT_EQ(std::stoll(entries.at("offset")) % 64, 0) << name;
    EXPECT_LE(std::stoll(entries.at("offset")) + std::stoll(entries.at("length")),
              static_cast<long long>(data.size()));
  }
  EXPECT_GT(external, 0);

  // With its data read back in, it is the export of the same model held inline.
  for (auto& [name, tensor] : Parameters(&model)) {
    if (tensor->data_location() != onnx::TensorProto::EXTERNAL) continue;
    const std::map<std::string, std::string> entries = ExternalEntries(*tensor);
    tensor->set_raw_data(
        data.substr(std::stoll(entries.at("offset")), std::stoll(entries.at("length"))));
    tensor->clear_external_data();
    tensor->clear_data_location();
  }
  ScratchFolder inline_output;
  ASSERT_EQ(BakeCase(inline_output, {"--format", "qdq"}).exit_code, 0);
  EXPECT_EQ(model.SerializeAsString(), ReadFileOrDie(inline_output.path() / "out.onnx"));
}

}  // namespace
}  // namespace qbake::testing
