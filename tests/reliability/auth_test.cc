// Shared-token authentication: qbake-server --auth-token-file refuses Baker calls
// without "authorization: Bearer TOKEN" (UNAUTHENTICATED, exit 1 with one error line,
// no output), lets the right token bake exactly as a local bake does (plaintext and
// TLS), and keeps its health service open to probes.
#include <memory>
#include <string>
#include <vector>

#include "common/auth_token.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/remote_test_support.h"
#include "tests/cli/tls_files.h"
#include "tests/reliability/reliability_support.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

const std::string kCase = "ppq_e2e/synth_trt_int8/";

// The token file's text and the error ReadAuthTokenFile gives, if any.
struct TokenFileCase {
  std::string text;
  std::string token_or_error;
};

TEST(AuthTokenFileTest, DropsOneTrailingLineBreakAndRefusesWhatIsNoToken) {
  const std::vector<TokenFileCase> cases = {
      {"s3cret", "s3cret"},
      {"s3cret\n", "s3cret"},
      {"s3cret\r\n", "s3cret"},
      {"", "the file is empty"},
      {"\n", "the file is empty"},
      {"s3cret\n\n", "visible ASCII"},
      {"two words", "visible ASCII"},
      {std::string(5000, 'a'), "5000 bytes, more than the 4096 expected"},
  };
  ScratchFolder folder;
  for (const TokenFileCase& c : cases) {
    WriteFileOrDie(folder.path() / "token", c.text);
    absl::StatusOr<std::string> token = ReadAuthTokenFile("--flag", folder / "token");
    if (token.ok()) {
      EXPECT_EQ(*token, c.token_or_error);
    } else {
      EXPECT_THAT(std::string(token.status().message()), HasSubstr(c.token_or_error)) << c.text;
      EXPECT_THAT(std::string(token.status().message()),
                  StartsWith("--flag '" + folder / "token" + "'"));
    }
  }
  EXPECT_FALSE(ReadAuthTokenFile("--flag", folder / "absent").ok());
}

TEST(AuthTokenFileTest, BearerMatchesOnlyTheExactValue) {
  EXPECT_TRUE(BearerMatches("Bearer s3cret", "s3cret"));
  for (const char* wrong : {"", "s3cret", "Bearer ", "Bearer s3cre", "Bearer s3cret ",
                            "bearer s3cret", "Bearer S3cret", "Basic s3cret"}) {
    EXPECT_FALSE(BearerMatches(wrong, "s3cret")) << wrong;
  }
}

class AuthTest : public ::testing::Test {
 protected:
  AuthTest() {
    WriteFileOrDie(secrets_.path() / "token", "right-token\n");
    WriteFileOrDie(secrets_.path() / "wrong", "wrong-token");
  }

  std::unique_ptr<ServerProcess> StartServerWithToken(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--auth-token-file", secrets_ / "token"});
    return StartServer(extra);
  }

  // Bakes kCase on `server` with `flags` into `out`.
  static ProcessResult BakeOn(const ServerProcess& server, const ScratchFolder& out,
                              std::vector<std::string> flags) {
    return BakeInto(TestDataPath(kCase + "model.onnx"), TestDataPath(kCase + "ppq_config.json"),
                    out, RemoteFlags(server, std::move(flags)));
  }

  // The bake failed with one error line holding `culprit` and left nothing; by
  // default with the exit code of refused credentials.
  static void ExpectRefused(const ProcessResult& run, const ScratchFolder& out,
                            const std::string& culprit, int exit_code = 4) {
    EXPECT_EQ(run.exit_code, exit_code) << run.err;
    ASSERT_EQ(run.ErrLines().size(), 1u) << run.err;
    EXPECT_THAT(run.err, StartsWith("qbake: error: "));
    EXPECT_THAT(run.err, HasSubstr(culprit));
    EXPECT_THAT(FolderNames(out.path()), IsEmpty());
  }

  // A local bake of kCase, to compare remote bakes with.
  void BakeLocally() {
    ASSERT_EQ(BakeInto(TestDataPath(kCase + "model.onnx"), TestDataPath(kCase + "ppq_config.json"),
                       local_)
                  .exit_code,
              0);
  }

  ScratchFolder secrets_;
  ScratchFolder local_;
  ScratchFolder remote_;
};

TEST_F(AuthTest, CallWithoutATokenIsUnauthenticated) {
  const std::unique_ptr<ServerProcess> server = StartServerWithToken();
  ExpectRefused(BakeOn(*server, remote_, {}), remote_, "requires an auth token");
  EXPECT_EQ(AwaitLoggedCode(*server), "UNAUTHENTICATED");
}

TEST_F(AuthTest, CallWithAWrongTokenIsUnauthenticated) {
  const std::unique_ptr<ServerProcess> server = StartServerWithToken();
  ExpectRefused(BakeOn(*server, remote_, {"--auth-token-file", secrets_ / "wrong"}), remote_,
                "refused the auth token");
}

TEST_F(AuthTest, RightTokenBakesLikeALocalBake) {
  const std::unique_ptr<ServerProcess> server = StartServerWithToken();
  BakeLocally();
  const ProcessResult run = BakeOn(*server, remote_, {"--auth-token-file", secrets_ / "token"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ExpectSameOutputs(local_, remote_);
}

TEST_F(AuthTest, HealthStaysOpenWithoutAToken) {
  const std::unique_ptr<ServerProcess> server = StartServerWithToken();
  const ProcessResult health = RunHealth(*server);
  EXPECT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(health.out, "SERVING\n");
}

TEST_F(AuthTest, TokenOverTls) {
  ScratchFolder certificates;
  const TlsFiles tls = MakeTlsFiles(certificates);
  const std::unique_ptr<ServerProcess> server =
      StartServerWithToken({"--tls-cert", tls.server_cert, "--tls-key", tls.server_key});
  BakeLocally();
  ScratchFolder refused;
  ExpectRefused(BakeOn(*server, refused, {"--tls-ca", tls.ca}), refused, "requires an auth token");
  const ProcessResult run =
      BakeOn(*server, remote_, {"--tls-ca", tls.ca, "--auth-token-file", secrets_ / "token"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ExpectSameOutputs(local_, remote_);
}

TEST_F(AuthTest, ServerRefusesToStartWithAnEmptyTokenFile) {
  WriteFileOrDie(secrets_.path() / "empty", "");
  ServerProcess server({"--listen", "127.0.0.1:0", "--auth-token-file", secrets_ / "empty"});
  EXPECT_EQ(server.WaitForExit(absl::Seconds(20)), 1);
  EXPECT_THAT(server.Stderr(),
              HasSubstr("--auth-token-file '" + secrets_ / "empty" + "': the file is empty"));
}

TEST_F(AuthTest, ClientTokenFileNeedsServerAndMustBeReadable) {
  const ProcessResult local =
      BakeInto(TestDataPath(kCase + "model.onnx"), TestDataPath(kCase + "ppq_config.json"), remote_,
               {"--auth-token-file", secrets_ / "token"});
  EXPECT_EQ(local.exit_code, 2);
  EXPECT_THAT(local.err, HasSubstr("--auth-token-file needs --server"));
  const std::unique_ptr<ServerProcess> server = StartServerWithToken();
  ExpectRefused(BakeOn(*server, remote_, {"--auth-token-file", secrets_ / "absent"}), remote_,
                "--auth-token-file '" + secrets_ / "absent" + "': cannot open", /*exit_code=*/1);
}

}  // namespace
}  // namespace qbake::testing
