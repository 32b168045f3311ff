// The transport security ServerOptions ask for: plaintext, TLS (--tls-cert and
// --tls-key), or mutual TLS (--tls-client-ca: clients must present a certificate
// that CA signed).
#ifndef QBAKE_SERVER_SERVER_CREDENTIALS_H_
#define QBAKE_SERVER_SERVER_CREDENTIALS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "server/server_options.h"

namespace qbake {

// Reads the PEM files; INVALID_ARGUMENT naming the flag and file when one cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerOptions& options);

}  // namespace qbake

#endif  // QBAKE_SERVER_SERVER_CREDENTIALS_H_
