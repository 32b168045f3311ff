// Certificates for TLS tests, made by openssl at test time in a scratch folder: a CA,
// a server certificate for 127.0.0.1 and localhost, and a client certificate, all
// signed by the CA (P-256 keys, valid for a day). Header-only.
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

// The openssl commands, run by /bin/sh in the folder that receives the files.
constexpr char kMakeCertificates[] = R"(set -e
new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
new_key ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days 1 -subj "/CN=qbake test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
sign() {  # NAME SUBJECT EXTENSIONS
  new_key "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "$2"
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
    -extfile "$1.ext" -out "$1.pem"
}
sign server "/CN=localhost" "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
sign client "/CN=qbake test client" "extendedKeyUsage=clientAuth"
)";

inline TlsFiles MakeTlsFiles(const ScratchFolder& folder) {
  WriteFileOrDie(folder.path() / "make_certificates.sh", kMakeCertificates);
  SubprocessOptions in_folder;
  in_folder.working_directory = folder.path().string();
  const ProcessResult openssl =
      RunProcess({"/bin/sh", "make_certificates.sh"}, absl::InfiniteDuration(), in_folder);
  EXPECT_EQ(openssl.exit_code, 0) << openssl.out << openssl.err;
  return {folder / "ca.pem", folder / "server.pem", folder / "server.key", folder / "client.pem",
          folder / "client.key"};
}

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_CLI_TLS_FILES_H_
