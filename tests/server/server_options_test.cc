// qbake-server's command line: defaults, both flag forms, values checked, the
// shared parser's refusals (common/command_line_flags.h), QBAKE_* variables as the
// fallback the command line beats, and TLS flags that must go together.
#include "server/server_options.h"

#include <stdlib.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qbake {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<ServerCommandLine> Parse(std::vector<std::string> args) {
  return ParseServerCommandLine(args);
}

TEST(ServerOptionsTest, DefaultsServeEveryInterfaceOnPort50051) {
  absl::StatusOr<ServerCommandLine> parsed = Parse({});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->help);
  EXPECT_EQ(parsed->options.listen, "0.0.0.0:50051");
  EXPECT_EQ(parsed->options.max_model_bytes, uint64_t{64} << 30);
  EXPECT_EQ(parsed->options.max_memory, 0u);
  EXPECT_EQ(parsed->options.grace_period, absl::Seconds(30));
  const ServerOptions resolved = ResolveDefaults(parsed->options);
  EXPECT_GE(resolved.threads, 1);
  EXPECT_EQ(resolved.max_concurrent, 2 * resolved.threads);
}

TEST(ServerOptionsTest, ReadsEveryFlagInBothForms) {
  absl::StatusOr<ServerCommandLine> parsed =
      Parse({"--listen=127.0.0.1:0", "--threads", "3", "--max-concurrent=5", "--max-model-bytes",
             "512M", "--max-memory=4G", "--grace-period=2.5", "--idle-timeout", "7", "--tls-cert",
             "c.pem", "--tls-key=k.pem", "--tls-client-ca", "ca.pem"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const ServerOptions& options = parsed->options;
  EXPECT_EQ(options.listen, "127.0.0.1:0");
  EXPECT_EQ(options.threads, 3);
  EXPECT_EQ(options.max_concurrent, 5);
  EXPECT_EQ(options.max_model_bytes, uint64_t{512} << 20);
  EXPECT_EQ(options.max_memory, uint64_t{4} << 30);
  EXPECT_EQ(options.grace_period, absl::Milliseconds(2500));
  EXPECT_EQ(options.idle_timeout, absl::Seconds(7));
  EXPECT_EQ(options.tls_cert, "c.pem");
  EXPECT_EQ(options.tls_key, "k.pem");
  EXPECT_EQ(options.tls_client_ca, "ca.pem");
}

TEST(ServerOptionsTest, ByteSizesTakeBinaryUnits) {
  const std::vector<std::pair<std::string, uint64_t>> sizes = {{"4096", 4096},
                                                               {"2k", 2048},
                                                               {"3MiB", uint64_t{3} << 20},
                                                               {"64GiB", uint64_t{64} << 30},
                                                               {"1T", uint64_t{1} << 40}};
  for (const auto& [text, bytes] : sizes) {
    absl::StatusOr<ServerCommandLine> parsed = Parse({"--max-model-bytes", text});
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(parsed->options.max_model_bytes, bytes) << text;
  }
}

TEST(ServerOptionsTest, RefusesBadValuesNamingTheFlag) {
  const std::vector<std::vector<std::string>> bad = {
      {"--threads", "-1"},        {"--threads", "two"},         {"--max-concurrent", "1.5"},
      {"--max-model-bytes", "0"}, {"--max-model-bytes", "12X"}, {"--max-model-bytes", "GiB"},
      {"--grace-period", "-3"},   {"--grace-period", "soon"},   {"--threads", "100000"},
      {"--threads", "1025"},      {"--idle-timeout", "-1"},     {"--max-memory", "0"}};
  for (const auto& args : bad) {
    absl::StatusOr<ServerCommandLine> parsed = Parse(args);
    ASSERT_FALSE(parsed.ok()) << args[0] << " " << args[1];
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(parsed.status().message(), HasSubstr(args[0] + " is '" + args[1] + "'"));
  }
}

TEST(ServerOptionsTest, RefusesUnknownRepeatedAndValuelessFlags) {
  EXPECT_THAT(Parse({"--port", "1"}).status().message(), HasSubstr("unknown argument '--port'"));
  EXPECT_THAT(Parse({"--threads", "1", "--threads=2"}).status().message(),
              HasSubstr("--threads is given more than once"));
  EXPECT_THAT(Parse({"--listen"}).status().message(), HasSubstr("--listen needs a value"));
}

TEST(ServerOptionsTest, RefusesEmptyValuesAndSeparatedValuesStartingWithDashes) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--listen="}, {"--listen", ""}, {"--listen", "--threads", "2"}}) {
    EXPECT_THAT(Parse(args).status().message(), HasSubstr("--listen needs a value")) << args[0];
  }
  absl::StatusOr<ServerCommandLine> parsed = Parse({"--tls-cert=--c.pem", "--tls-key", "-k.pem"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->options.tls_cert, "--c.pem");
  EXPECT_EQ(parsed->options.tls_key, "-k.pem");
  EXPECT_THAT(Parse({"serve"}).status().message(), HasSubstr("unexpected argument 'serve'"));
  EXPECT_THAT(Parse({"--version=1"}).status().message(), HasSubstr("--version takes no value"));
}

// Sets environment variables for one test.
class ServerOptionsEnvTest : public ::testing::Test {
 protected:
  void Set(const char* name, const char* value) {
    setenv(name, value, /*overwrite=*/1);
    names_.push_back(name);
  }
  ~ServerOptionsEnvTest() override {
    for (const char* name : names_) unsetenv(name);
  }

 private:
  std::vector<const char*> names_;
};

TEST_F(ServerOptionsEnvTest, VariablesAreTheFallbackTheCommandLineBeats) {
  Set("QBAKE_LISTEN", "127.0.0.1:0");
  Set("QBAKE_THREADS", "3");
  Set("QBAKE_MAX_MODEL_BYTES", "1GiB");
  Set("QBAKE_GRACE_PERIOD", "1.5");
  Set("QBAKE_TLS_CERT", "c.pem");
  Set("QBAKE_TLS_KEY", "k.pem");
  absl::StatusOr<ServerCommandLine> parsed = Parse({"--threads", "5", "--max-model-bytes=2G"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->options.listen, "127.0.0.1:0");
  EXPECT_EQ(parsed->options.threads, 5);
  EXPECT_EQ(parsed->options.max_model_bytes, uint64_t{2} << 30);
  EXPECT_EQ(parsed->options.grace_period, absl::Milliseconds(1500));
  EXPECT_EQ(parsed->options.tls_cert, "c.pem");
  EXPECT_EQ(parsed->options.tls_key, "k.pem");
}

TEST_F(ServerOptionsEnvTest, ABadValueFromAVariableNamesTheVariable) {
  Set("QBAKE_THREADS", "many");
  EXPECT_THAT(Parse({}).status().message(),
              HasSubstr("QBAKE_THREADS is 'many'; it takes a whole number from 0 to 1024"));
  // The command line wins: the variable is not read at all.
  EXPECT_TRUE(Parse({"--threads", "1"}).ok());
  Set("QBAKE_MAX_MEMORY", "0");
  EXPECT_THAT(Parse({"--threads", "1"}).status().message(), HasSubstr("QBAKE_MAX_MEMORY is '0'"));
}

TEST_F(ServerOptionsEnvTest, AnEmptyVariableIsUnset) {
  Set("QBAKE_LISTEN", "");
  absl::StatusOr<ServerCommandLine> parsed = Parse({});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->options.listen, "0.0.0.0:50051");
}

TEST(ServerOptionsTest, TlsFlagsGoTogether) {
  EXPECT_THAT(Parse({"--tls-cert", "c.pem"}).status().message(),
              HasSubstr("--tls-cert and --tls-key go together"));
  EXPECT_THAT(Parse({"--tls-client-ca", "ca.pem"}).status().message(),
              HasSubstr("--tls-client-ca needs --tls-cert and --tls-key"));
}

TEST(ServerOptionsTest, HelpIsAskedForAndListsEveryFlag) {
  absl::StatusOr<ServerCommandLine> parsed = Parse({"--help"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->help);
  const std::string usage = ServerUsage();
  for (const char* flag : {"--listen", "--threads", "--max-concurrent", "--max-model-bytes",
                           "--max-memory", "--grace-period", "--idle-timeout", "--tls-cert",
                           "--tls-key", "--tls-client-ca", "--version", "--help", "QBAKE_LISTEN",
                           "QBAKE_THREADS", "QBAKE_MAX_MODEL_BYTES", "QBAKE_AUTH_TOKEN_FILE"}) {
    EXPECT_THAT(usage, HasSubstr(flag));
  }
}

}  // namespace
}  // namespace qbake
