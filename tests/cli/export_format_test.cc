// `qbake bake --format`: the flags, their errors, and what a QDQ export tells the
// user (summary and report). The exported models themselves are checked in ONNX
// Runtime by tests/export (OrtExportCheck), locally and through the server.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_test_support.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

const std::string kCase = "ppq_e2e/synth_trt_int8/";

ProcessResult BakeCase(const ScratchFolder& output, std::vector<std::string> extra) {
  return BakeInto(TestDataPath(kCase + "model.onnx"), TestDataPath(kCase + "ppq_config.json"),
                  output, std::move(extra));
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

TEST(ExportFormatTest, ExternalDataIsRefusedBeforeAnythingIsWritten) {
  ScratchFolder input;
  ScratchFolder output;
  WriteExternalSmallModel(input.path());
  WriteFileOrDie(input.path() / "config.json", SmallModelConfig());
  const ProcessResult result = BakeInto(input.path() / "model.onnx", input.path() / "config.json",
                                        output, {"--format", "qdq"});
  EXPECT_EQ(result.exit_code, 1);
  ASSERT_EQ(result.ErrLines().size(), 1u) << result.err;
  EXPECT_THAT(result.err, HasSubstr("--format qdq: tensor '"));
  EXPECT_THAT(result.err, HasSubstr("external data"));
  EXPECT_THAT(FolderNames(output.path()), IsEmpty());
}

}  // namespace
}  // namespace qbake::testing
