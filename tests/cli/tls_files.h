// Certificates for TLS tests, made by openssl at test time in a scratch folder
// (tests/data/make_certificates.sh): a CA, a server certificate for 127.0.0.1 and
// localhost, and a client certificate, all signed by the CA. Header-only.
#ifndef QBAKE_TESTS_CLI_TLS_FILES_H_
#define QBAKE_TESTS_CLI_TLS_FILES_H_

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_data.h"

namespace qbake::testing {

struct TlsFiles {
  std::string ca;  // the CA's certificate
  std::string server_cert;
  std::string server_key;
  std::string client_cert;
  std::string client_key;
};

inline TlsFiles MakeTlsFiles(const ScratchFolder& folder) {
  SubprocessOptions in_folder;
  in_folder.working_directory = folder.path().string();
  const ProcessResult openssl = RunProcess({"/bin/sh", TestDataPath("make_certificates.sh")},
                                           absl::InfiniteDuration(), in_folder);
  EXPECT_EQ(openssl.exit_code, 0) << openssl.out << openssl.err;
  return {folder / "ca.pem", folder / "server.pem", folder / "server.key", folder / "client.pem",
          folder / "client.key"};
}

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_CLI_TLS_FILES_H_
