// A gRPC channel to a qbake-server: plaintext, TLS (the server's certificate checked
// against a CA file, or the system's roots), or mutual TLS (a client certificate and
// key as well); with an auth token file, every call carries "authorization: Bearer
// TOKEN" metadata (common/auth_token.h). Connecting is lazy: an unreachable server shows up as
// UNAVAILABLE on the first call, not here.
#ifndef QBAKE_CLIENT_REMOTE_CHANNEL_H_
#define QBAKE_CLIENT_REMOTE_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"

namespace qbake {

struct ChannelSettings {
  // HOST:PORT or any gRPC target (dns:///HOST:PORT, ipv4:IP:PORT,IP:PORT); calls
  // are spread over its addresses round robin.
  std::string target;
  // PEM files. All empty: plaintext. Any set: TLS; an empty tls_ca trusts the
  // system's roots; tls_cert and tls_key, given together, add a client certificate.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  // A file holding the server's auth token; empty sends none.
  std::string auth_token_file;

  bool UsesTls() const { return !tls_ca.empty() || !tls_cert.empty() || !tls_key.empty(); }
};

// INVALID_ARGUMENT for an empty target, or a client certificate without its key
// (or the reverse).
absl::Status ValidateChannelSettings(const ChannelSettings& settings);

// ValidateChannelSettings' errors, an error naming a PEM file that cannot be read, and
// ReadAuthTokenFile's errors.
absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const ChannelSettings& settings);

}  // namespace qbake

#endif  // QBAKE_CLIENT_REMOTE_CHANNEL_H_
