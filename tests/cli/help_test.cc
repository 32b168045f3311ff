// `qbake --help` and `qbake bake --help` explain every flag, remote ones included, and
// every exit code; `qbake --version` prints the version; a wrong command line is a
// usage error (exit 2) reported on one line.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_support.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;

void ExpectCompleteHelp(const ProcessResult& result) {
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.err, "");
  for (const char* text :
       {"--config", "--output", "--config-out", "--rounding", "--report", "--threads", "--server",
        "--tls-ca", "--tls-cert", "--tls-key", "--deadline", "--retries", "--help", "Example",
        "Exit codes", "\n  3  ", "\n  4  "}) {
    EXPECT_THAT(result.out, HasSubstr(text));
  }
}

void ExpectUsageError(const ProcessResult& result, const std::string& culprit) {
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.ErrLines().size(), 1u) << result.err;
  EXPECT_THAT(result.err, HasSubstr("qbake: error: "));
  EXPECT_THAT(result.err, HasSubstr(culprit));
}

TEST(HelpTest, TopLevelHelpCoversEveryFlag) {
  ExpectCompleteHelp(RunQbake({"--help"}));
  EXPECT_THAT(RunQbake({"-h"}).out, HasSubstr("bake"));
  EXPECT_THAT(RunQbake({"--help"}).out, HasSubstr("qbake health --server HOST:PORT"));
}

TEST(HelpTest, BakeHelpCoversEveryFlag) { ExpectCompleteHelp(RunQbake({"bake", "--help"})); }

TEST(HelpTest, VersionPrintsTheProjectVersion) {
  const ProcessResult result = RunQbake({"--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, ::testing::StartsWith("qbake " QBAKE_PROJECT_VERSION));
  EXPECT_EQ(result.err, "");
}

TEST(HelpTest, RetriesNeedsAServerAndACount) {
  ExpectUsageError(
      RunQbake({"bake", "m.onnx", "--config", "c.json", "--output", "o.onnx", "--retries", "2"}),
      "--retries needs --server");
  ExpectUsageError(RunQbake({"bake", "m.onnx", "--config", "c.json", "--output", "o.onnx",
                             "--server", "127.0.0.1:1", "--retries", "-1"}),
                   "--retries must be a whole number from 0 to 100, not '-1'");
}

TEST(HelpTest, UnknownFlagIsAUsageError) {
  ExpectUsageError(RunQbake({"bake", "model.onnx", "--frobnicate", "1"}), "--frobnicate");
  ExpectUsageError(RunQbake({"bake", "model.onnx", "--config=c.json", "--threads"}), "--threads");
}

// The rules of the parser both binaries share (common/command_line_flags.h), as
// `qbake` reports them.
TEST(HelpTest, FlagRulesAreUsageErrors) {
  ExpectUsageError(RunQbake({"bake", "m.onnx", "--config", "--output", "o.onnx"}),
                   "qbake: error: --config needs a value (see 'qbake bake --help')");
  ExpectUsageError(RunQbake({"bake", "m.onnx", "--config=", "--output", "o.onnx"}),
                   "--config needs a value");
  ExpectUsageError(RunQbake({"bake", "m.onnx", "--config", "", "--output", "o.onnx"}),
                   "--config needs a value");
  ExpectUsageError(RunQbake({"bake", "m.onnx", "--config=a", "--config", "b", "--output", "o"}),
                   "--config is given more than once");
  ExpectUsageError(RunQbake({"health", "--server", "h:1", "--server=h:2"}),
                   "qbake: error: --server is given more than once (see 'qbake health --help')");
  ExpectUsageError(RunQbake({"health", "--server", "h:1", "--config", "c.json"}),
                   "unknown argument '--config'");
  ExpectUsageError(RunQbake({"--help=all"}), "--help takes no value");
}

TEST(HelpTest, HelpCommandIsTheOverview) {
  const ProcessResult result = RunQbake({"help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, RunQbake({"--help"}).out);
}

TEST(HelpTest, MissingOrUnknownCommandIsAUsageError) {
  ExpectUsageError(RunQbake({}), "missing command");
  ExpectUsageError(RunQbake({"roast"}), "roast");
}

}  // namespace
}  // namespace qbake::testing
