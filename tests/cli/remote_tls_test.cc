// `qbake` against a qbake-server that speaks TLS, with certificates made by openssl
// at test time: a TLS bake equals a local one byte for byte; with mutual TLS a
// client presenting its certificate is served and one without is refused.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/remote_test_support.h"
#include "tests/cli/tls_files.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

using ::testing::StartsWith;

const std::string kCase = "ppq_e2e/synth_ncnn_int8/";

class RemoteTlsTest : public ::testing::Test {
 protected:
  std::unique_ptr<ServerProcess> StartTlsServer(bool require_client_certificates) {
    std::vector<std::string> args = {"--tls-cert", tls_.server_cert, "--tls-key", tls_.server_key};
    if (require_client_certificates) args.insert(args.end(), {"--tls-client-ca", tls_.ca});
    return StartServer(args);
  }

  // Bakes kCase remotely with `tls_flags` into remote_, locally into local_.
  ProcessResult BakeBothWays(const ServerProcess& server, std::vector<std::string> tls_flags) {
    const std::string model = TestDataPath(kCase + "model.onnx");
    const std::string config = TestDataPath(kCase + "ppq_config.json");
    EXPECT_EQ(BakeInto(model, config, local_).exit_code, 0);
    return BakeInto(model, config, remote_, RemoteFlags(server, std::move(tls_flags)));
  }

  ScratchFolder certificates_;
  const TlsFiles tls_ = MakeTlsFiles(certificates_);
  ScratchFolder local_;
  ScratchFolder remote_;
};

TEST_F(RemoteTlsTest, TlsBakeEqualsALocalBake) {
  const std::unique_ptr<ServerProcess> server = StartTlsServer(false);
  const ProcessResult result = BakeBothWays(*server, {"--tls-ca", tls_.ca});
  ASSERT_EQ(result.exit_code, 0) << result.err << server->Stderr();
  ExpectSameOutputs(local_, remote_);
}

TEST_F(RemoteTlsTest, PlaintextClientIsRefusedByATlsServer) {
  const std::unique_ptr<ServerProcess> server = StartTlsServer(false);
  const ProcessResult result = RunHealth(*server);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.ErrLines().size(), 1u) << result.err;
}

// Probes need no certificate: the plaintext health port answers for a server whose
// Baker port requires mutual TLS.
TEST_F(RemoteTlsTest, TheHealthPortAnswersProbesWithoutTls) {
  const std::unique_ptr<ServerProcess> server =
      StartServer({"--tls-cert", tls_.server_cert, "--tls-key", tls_.server_key, "--tls-client-ca",
                   tls_.ca, "--health-listen", "127.0.0.1:0"});
  ASSERT_FALSE(server->health_address().empty()) << server->first_line();
  const ProcessResult probe = RunQbake({"health", "--server", server->health_address()});
  EXPECT_EQ(probe.exit_code, 0) << probe.err;
  EXPECT_EQ(probe.out, "SERVING\n");
  EXPECT_EQ(RunHealth(*server).exit_code, 1);  // the TLS port refuses plaintext
}

TEST_F(RemoteTlsTest, MutualTlsBakeWithAClientCertificateEqualsALocalBake) {
  const std::unique_ptr<ServerProcess> server = StartTlsServer(true);
  const ProcessResult result = BakeBothWays(
      *server, {"--tls-ca", tls_.ca, "--tls-cert", tls_.client_cert, "--tls-key", tls_.client_key});
  ASSERT_EQ(result.exit_code, 0) << result.err << server->Stderr();
  ExpectSameOutputs(local_, remote_);
}

TEST_F(RemoteTlsTest, MutualTlsRefusesAClientWithoutACertificate) {
  const std::unique_ptr<ServerProcess> server = StartTlsServer(true);
  const ProcessResult health = RunHealth(*server, {"--tls-ca", tls_.ca});
  EXPECT_EQ(health.exit_code, 1);
  EXPECT_EQ(health.out, "");
  ASSERT_EQ(health.ErrLines().size(), 1u) << health.err;
  EXPECT_THAT(health.err, StartsWith("qbake: error: cannot check the health of "));
  // The server ends the handshake by closing the connection, saying nothing the
  // client could tell from a lost server: unreachable (exit 3).
  const ProcessResult bake = BakeBothWays(*server, {"--tls-ca", tls_.ca, "--retries", "0"});
  EXPECT_EQ(bake.exit_code, 3) << bake.err;
  EXPECT_EQ(bake.ErrLines().size(), 1u) << bake.err;
  EXPECT_TRUE(FilesUnder(remote_.path()).empty());
  const ProcessResult served = RunHealth(
      *server, {"--tls-ca", tls_.ca, "--tls-cert", tls_.client_cert, "--tls-key", tls_.client_key});
  EXPECT_EQ(served.exit_code, 0) << served.err;
  EXPECT_EQ(served.out, "SERVING\n");
}

}  // namespace
}  // namespace qbake::testing
