// --tls-cert/--tls-key serve TLS; --tls-client-ca also requires a client
// certificate that CA signed. Certificates are made with openssl at test time.
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/e2e_cases.h"
#include "tests/server/server_test_support.h"
#include "tests/server/synthetic_models.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kMakeCertificates[] = R"(set -e
key() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "$@"; }
key -x509 -days 2 -keyout ca.key -out ca.pem -subj /CN=qbake-test-ca
key -keyout server.key -out server.csr -subj /CN=localhost
echo 'subjectAltName=DNS:localhost,IP:127.0.0.1' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile server.ext -out server.pem
key -keyout client.key -out client.csr -subj /CN=qbake-test-client
echo 'extendedKeyUsage=clientAuth' > client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile client.ext -out client.pem
)";

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string folder = ::testing::TempDir() + "qbake_tls_XXXXXX";
    ASSERT_NE(mkdtemp(folder.data()), nullptr);
    folder_ = folder + "/";
    const std::string script = folder_ + "make.sh";
    std::FILE* file = std::fopen(script.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs(kMakeCertificates, file);
    std::fclose(file);
    SubprocessOptions in_folder;
    in_folder.working_directory = folder_;
    const ProcessResult openssl =
        RunProcess({"/bin/sh", "make.sh"}, absl::InfiniteDuration(), in_folder);
    ASSERT_EQ(openssl.exit_code, 0) << openssl.err;
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(folder_); }

  static std::string File(const std::string& name) { return folder_ + name; }

  static ServerOptions TlsOptions(bool require_client_certificates) {
    ServerOptions options = TestOptions();
    options.tls_cert = File("server.pem");
    options.tls_key = File("server.key");
    if (require_client_certificates) options.tls_client_ca = File("ca.pem");
    return options;
  }

  // A TLS channel that trusts the test CA, optionally with the client certificate.
  static std::shared_ptr<grpc::Channel> TlsChannel(int port, bool with_client_certificate) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFileOrDie(File("ca.pem"));
    if (with_client_certificate) {
      ssl.pem_private_key = ReadFileOrDie(File("client.key"));
      ssl.pem_cert_chain = ReadFileOrDie(File("client.pem"));
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(ssl),
                                     args);
  }

  static grpc::Status SmallBake(const std::shared_ptr<grpc::Channel>& channel) {
    const v1::BakeRequest request =
        BakeRequestFor(WeightModel({4}, Ramp(4)).SerializeAsString(), {WeightSpec()});
    return CallBake(v1::Baker::NewStub(channel).get(), request, absl::Seconds(20)).status;
  }

  static std::string folder_;
};

std::string TlsTest::folder_;

TEST_F(TlsTest, ServesTlsAndRefusesPlaintext) {
  TestServer server(TlsOptions(false));
  const grpc::Status tls = SmallBake(TlsChannel(server.server().port(), false));
  EXPECT_TRUE(tls.ok()) << tls.error_message();
  EXPECT_EQ(SmallBake(LoopbackChannel(server.server().port())).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, MutualTlsRequiresTheClientCertificate) {
  TestServer server(TlsOptions(true));
  const grpc::Status with_certificate = SmallBake(TlsChannel(server.server().port(), true));
  EXPECT_TRUE(with_certificate.ok()) << with_certificate.error_message();
  EXPECT_EQ(SmallBake(TlsChannel(server.server().port(), false)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, AnUnreadableCertificateStopsTheStart) {
  ServerOptions options = TlsOptions(false);
  options.tls_cert = File("missing.pem");
  absl::StatusOr<std::unique_ptr<BakeServer>> server = BakeServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(),
              HasSubstr("--tls-cert: cannot open '" + File("missing.pem") + "': No such file"));
}

}  // namespace
}  // namespace qbake::testing
