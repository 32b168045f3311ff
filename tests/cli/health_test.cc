// `qbake health --server`: prints the status the server reports and exits 0 only
// when it is SERVING; an unreachable server is one error line and exit 1.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/remote_test_support.h"
#include "tests/client/fake_baker.h"
#include "tests/support/loopback_port.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(HealthTest, ServingServerExitsZero) {
  const std::unique_ptr<ServerProcess> server = StartServer();
  const ProcessResult result = RunHealth(*server);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "SERVING\n");
  EXPECT_EQ(result.err, "");
}

TEST(HealthTest, NotServingServerExitsOne) {
  FakeServer server;
  server.SetServing(false);
  const ProcessResult result = RunQbake({"health", "--server", server.target()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "NOT_SERVING\n");
}

TEST(HealthTest, ClosedPortIsOneErrorLine) {
  const std::string target = absl::StrCat("127.0.0.1:", ClosedLoopbackPort());
  const ProcessResult result = RunQbake({"health", "--server", target, "--deadline", "20"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "");
  ASSERT_EQ(result.ErrLines().size(), 1u) << result.err;
  EXPECT_THAT(result.err, StartsWith("qbake: error: cannot check the health of " + target));
}

TEST(HealthTest, UsageErrorsExitTwo) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"health"},
                                               {"health", "--server", "h:1", "extra"},
                                               {"health", "--server", "h:1", "--tls-cert", "c.pem"},
                                               {"health", "--server", "h:1", "--deadline", "-3"},
                                               {"health", "--tls-ca", "ca.pem"}}) {
    const ProcessResult result = RunQbake(args);
    EXPECT_EQ(result.exit_code, 2) << args.back();
    EXPECT_EQ(result.ErrLines().size(), 1u) << result.err;
  }
}

TEST(HealthTest, HelpCoversEveryFlag) {
  const ProcessResult result = RunQbake({"health", "--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* text :
       {"--server", "--tls-ca", "--tls-cert", "--tls-key", "--deadline", "SERVING", "Exit codes"}) {
    EXPECT_THAT(result.out, HasSubstr(text));
  }
}

}  // namespace
}  // namespace qbake::testing
