// qbake-server's command line: defaults, both flag forms, values checked, and TLS
// flags that must go together.
#include "server/server_options.h"

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
  for (const char* flag :
       {"--listen", "--threads", "--max-concurrent", "--max-model-bytes", "--max-memory",
        "--grace-period", "--idle-timeout", "--tls-cert", "--tls-key", "--tls-client-ca"}) {
    EXPECT_THAT(usage, HasSubstr(flag));
  }
}

}  // namespace
}  // namespace qbake
