// The one command-line parser of both binaries (common/command_line_flags.h): every
// refusal rule for a command with subcommands and positionals (qbake's shape) and for
// one with flags only and environment variables (qbake-server's), the environment as
// a fallback the command line beats, size values, and the one-line usage error.
#include "common/command_line_flags.h"

#include <stdlib.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qbake {
namespace {

using ::testing::ElementsAre;

// qbake's shape: subcommands, one with positionals.
CommandSpec ClientShape() {
  CommandSpec bake{"bake", {{"--config"}, {"--output"}, {"--threads"}, {"--server"}}, true};
  CommandSpec health{"health", {{"--server"}, {"--deadline"}}};
  return {"qbake", {}, false, {bake, health}};
}

// qbake-server's shape: flags only, some with a variable.
CommandSpec ServerShape() {
  return {"qbake-server",
          {{"--listen", "HOST:PORT", "address to serve on", "QBAKE_TEST_LISTEN"},
           {"--max-model-bytes", "BYTES", "largest model", "QBAKE_TEST_MAX_MODEL_BYTES"},
           {"--tls-cert", "FILE", "certificate"}}};
}

// Sets (or, for nullptr, unsets) an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (value == nullptr) {
      unsetenv(name);
    } else {
      setenv(name, value, /*overwrite=*/1);
    }
  }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

struct Parsed {
  absl::Status status;
  CommandLine command_line;
};

Parsed Parse(const CommandSpec& spec, std::vector<std::string> args) {
  Parsed parsed;
  parsed.status = ParseCommandLine(spec, args, &parsed.command_line);
  return parsed;
}

// `args` is refused with exactly `message`, for both shapes where the flag exists.
void ExpectRefused(const CommandSpec& spec, std::vector<std::string> args,
                   const std::string& message) {
  const Parsed parsed = Parse(spec, args);
  EXPECT_EQ(parsed.status.code(), absl::StatusCode::kInvalidArgument) << message;
  EXPECT_EQ(parsed.status.message(), message);
}

TEST(CommandLineFlagsTest, ReadsBothFormsPositionalsAndTheSubcommand) {
  const Parsed parsed = Parse(ClientShape(), {"bake", "m.onnx", "--config", "c.json",
                                              "--output=o.onnx", "--threads", "-1"});
  ASSERT_TRUE(parsed.status.ok()) << parsed.status;
  const CommandLine& line = parsed.command_line;
  EXPECT_EQ(line.command, "qbake bake");
  EXPECT_EQ(line.subcommand, "bake");
  EXPECT_THAT(line.positionals, ElementsAre("m.onnx"));
  EXPECT_EQ(*line.Find("--config"), "c.json");
  EXPECT_EQ(*line.Find("--output"), "o.onnx");
  EXPECT_EQ(*line.Find("--threads"), "-1");  // a negative number is a value
  EXPECT_EQ(line.Find("--server"), nullptr);
  EXPECT_FALSE(line.help);
}

TEST(CommandLineFlagsTest, ASeparatedValueMayLookLikeAShortFlagOrACommand) {
  const Parsed parsed =
      Parse(ClientShape(), {"bake", "health", "--config", "-c.json", "--output", "bake"});
  ASSERT_TRUE(parsed.status.ok()) << parsed.status;
  EXPECT_THAT(parsed.command_line.positionals, ElementsAre("health"));
  EXPECT_EQ(*parsed.command_line.Find("--config"), "-c.json");
  EXPECT_EQ(*parsed.command_line.Find("--output"), "bake");
}

TEST(CommandLineFlagsTest, OnlyTheEqualsFormTakesAValueStartingWithTwoDashes) {
  const Parsed parsed = Parse(ServerShape(), {"--listen=--odd"});
  ASSERT_TRUE(parsed.status.ok()) << parsed.status;
  EXPECT_EQ(*parsed.command_line.Find("--listen"), "--odd");
  ExpectRefused(ServerShape(), {"--listen", "--odd"}, "--listen needs a value");
  ExpectRefused(ClientShape(), {"bake", "m", "--config", "--output", "o"},
                "--config needs a value");
}

TEST(CommandLineFlagsTest, RefusesAMissingOrEmptyValue) {
  for (const CommandSpec& spec : {ServerShape(), ClientShape()}) {
    const std::vector<std::string> prefix =
        spec.subcommands.empty() ? std::vector<std::string>{} : std::vector<std::string>{"bake"};
    const std::string flag = spec.subcommands.empty() ? "--listen" : "--config";
    for (std::vector<std::string> tail : std::initializer_list<std::vector<std::string>>{
             {flag}, {flag + "="}, {flag, ""}, {flag, "--help"}}) {
      std::vector<std::string> args = prefix;
      args.insert(args.end(), tail.begin(), tail.end());
      ExpectRefused(spec, args, flag + " needs a value");
    }
  }
}

TEST(CommandLineFlagsTest, RefusesUnknownFlags) {
  ExpectRefused(ServerShape(), {"--port", "1"}, "unknown argument '--port'");
  ExpectRefused(ServerShape(), {"--port=1"}, "unknown argument '--port'");
  ExpectRefused(ServerShape(), {"-p"}, "unknown argument '-p'");
  ExpectRefused(ClientShape(), {"bake", "m", "--frobnicate", "1"},
                "unknown argument '--frobnicate'");
  // A flag of another subcommand, and the outermost command's --version, are unknown.
  ExpectRefused(ClientShape(), {"health", "--config", "c"}, "unknown argument '--config'");
  ExpectRefused(ClientShape(), {"bake", "--version"}, "unknown argument '--version'");
}

TEST(CommandLineFlagsTest, RefusesAFlagGivenTwiceInEitherForm) {
  ExpectRefused(ServerShape(), {"--listen", "a:1", "--listen=b:2"},
                "--listen is given more than once");
  ExpectRefused(ClientShape(), {"bake", "m", "--config=a", "--config=a"},
                "--config is given more than once");
}

TEST(CommandLineFlagsTest, RefusesPositionalsWhereNoneAreTaken) {
  ExpectRefused(ServerShape(), {"serve"}, "unexpected argument 'serve'");
  ExpectRefused(ClientShape(), {"health", "--server", "h:1", "extra"},
                "unexpected argument 'extra'");
  ExpectRefused(ClientShape(), {"roast"}, "unknown command 'roast'");
  ExpectRefused(ClientShape(), {}, "missing command");
}

TEST(CommandLineFlagsTest, HelpAndVersionTakeNoValue) {
  ExpectRefused(ServerShape(), {"--help=yes"}, "--help takes no value");
  ExpectRefused(ServerShape(), {"--version=2"}, "--version takes no value");
  for (const char* help : {"-h", "--help"}) {
    const Parsed parsed = Parse(ClientShape(), {"bake", help});
    ASSERT_TRUE(parsed.status.ok()) << parsed.status;
    EXPECT_TRUE(parsed.command_line.help);
  }
  const Parsed version = Parse(ClientShape(), {"--version"});
  ASSERT_TRUE(version.status.ok()) << version.status;
  EXPECT_TRUE(version.command_line.version);
  EXPECT_TRUE(Parse(ClientShape(), {"--help"}).command_line.help);
}

TEST(CommandLineFlagsTest, DoubleDashEndsTheFlags) {
  const Parsed parsed = Parse(ClientShape(), {"bake", "--config", "c", "--", "--m.onnx"});
  ASSERT_TRUE(parsed.status.ok()) << parsed.status;
  EXPECT_THAT(parsed.command_line.positionals, ElementsAre("--m.onnx"));
}

TEST(CommandLineFlagsTest, TheFailedCommandLineStillNamesItsCommand) {
  const Parsed parsed = Parse(ClientShape(), {"health", "--deadline"});
  EXPECT_FALSE(parsed.status.ok());
  EXPECT_EQ(parsed.command_line.command, "qbake health");
  EXPECT_EQ(Parse(ServerShape(), {"--bad"}).command_line.command, "qbake-server");
}

TEST(CommandLineFlagsTest, TheEnvironmentIsTheFallback) {
  const ScopedEnv listen("QBAKE_TEST_LISTEN", "127.0.0.1:7");
  const ScopedEnv bytes("QBAKE_TEST_MAX_MODEL_BYTES", "2G");
  const Parsed parsed = Parse(ServerShape(), {"--max-model-bytes", "1G"});
  ASSERT_TRUE(parsed.status.ok()) << parsed.status;
  const CommandLine& line = parsed.command_line;
  EXPECT_EQ(*line.Find("--listen"), "127.0.0.1:7");
  EXPECT_EQ(line.SourceOf("--listen"), "QBAKE_TEST_LISTEN");
  // The command line wins, and a value from the environment is not a repeat.
  EXPECT_EQ(*line.Find("--max-model-bytes"), "1G");
  EXPECT_EQ(line.SourceOf("--max-model-bytes"), "--max-model-bytes");
  EXPECT_EQ(line.Find("--tls-cert"), nullptr);
}

TEST(CommandLineFlagsTest, AnEmptyVariableIsUnsetAndVariablesFollowNoFlagRules) {
  const ScopedEnv listen("QBAKE_TEST_LISTEN", "");
  const ScopedEnv bytes("QBAKE_TEST_MAX_MODEL_BYTES", "--dashes");
  const Parsed parsed = Parse(ServerShape(), {});
  ASSERT_TRUE(parsed.status.ok()) << parsed.status;
  EXPECT_EQ(parsed.command_line.Find("--listen"), nullptr);
  EXPECT_EQ(*parsed.command_line.Find("--max-model-bytes"), "--dashes");
}

TEST(CommandLineFlagsTest, FlagHelpLinesNameEveryFlagAndVariable) {
  const std::string help = FlagHelpLines(ServerShape(), /*with_version=*/true);
  for (const char* text :
       {"--listen HOST:PORT", "[env QBAKE_TEST_LISTEN]", "--max-model-bytes",
        "[env QBAKE_TEST_MAX_MODEL_BYTES]", "--tls-cert FILE", "--version", "-h, --help"}) {
    EXPECT_THAT(help, ::testing::HasSubstr(text));
  }
  EXPECT_THAT(FlagHelpLines(ServerShape(), /*with_version=*/false),
              ::testing::Not(::testing::HasSubstr("--version")));
}

TEST(CommandLineFlagsTest, ByteSizesTakeBinaryUnitsInAnyCase) {
  const std::vector<std::pair<std::string, uint64_t>> sizes = {
      {"1", 1},
      {"4096", 4096},
      {"2k", 2048},
      {"512M", uint64_t{512} << 20},
      {"3MiB", uint64_t{3} << 20},
      {"64gib", uint64_t{64} << 30},
      {"1T", uint64_t{1} << 40},
      {"16777215TiB", uint64_t{16777215} << 40}};
  for (const auto& [text, bytes] : sizes) {
    EXPECT_EQ(ParseByteSize(text), std::optional<uint64_t>(bytes)) << text;
  }
  for (const char* bad : {"", "0", "0K", "-1", "1.5G", "12X", "GiB", "1iB", "1KB", "1P",
                          "16777216TiB", "18446744073709551616"}) {
    EXPECT_EQ(ParseByteSize(bad), std::nullopt) << bad;
  }
}

TEST(CommandLineFlagsTest, AUsageErrorIsOneLineNamingTheHelpAndExitsTwo) {
  ::testing::internal::CaptureStderr();
  const int code = ReportUsageError("qbake bake", "bad\nthing");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "qbake: error: bad thing (see 'qbake bake --help')\n");
  EXPECT_EQ(code, 2);
  EXPECT_EQ(code, kUsageExitCode);
}

}  // namespace
}  // namespace qbake
