#include "client/remote_channel.h"

#include "absl/strings/str_cat.h"
#include "client/file_io.h"
#include "client/status_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace qbake {
namespace {

// The file's text, or "" when no file is named.
absl::StatusOr<std::string> ReadPemFile(const std::string& path, absl::string_view what) {
  if (path.empty()) return std::string();
  absl::StatusOr<std::string> pem = ReadFile(path);
  if (!pem.ok()) return Annotate(pem.status(), absl::StrCat("cannot read the ", what));
  return pem;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> TlsCredentials(
    const ChannelSettings& settings) {
  grpc::SslCredentialsOptions options;
  for (auto [path, what, pem] :
       {std::tuple{&settings.tls_ca, "TLS CA certificates", &options.pem_root_certs},
        {&settings.tls_cert, "TLS client certificate", &options.pem_cert_chain},
        {&settings.tls_key, "TLS client key", &options.pem_private_key}}) {
    absl::StatusOr<std::string> text = ReadPemFile(*path, what);
    if (!text.ok()) return text.status();
    *pem = std::move(*text);
  }
  return grpc::SslCredentials(options);
}

}  // namespace

absl::Status ValidateChannelSettings(const ChannelSettings& settings) {
  if (settings.target.empty()) return absl::InvalidArgumentError("no server address given");
  if (settings.tls_cert.empty() != settings.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "a TLS client certificate and its private key go together: give both or neither");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const ChannelSettings& settings) {
  absl::Status valid = ValidateChannelSettings(settings);
  if (!valid.ok()) return valid;
  if (!settings.UsesTls()) {
    return grpc::CreateChannel(settings.target, grpc::InsecureChannelCredentials());
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials = TlsCredentials(settings);
  if (!credentials.ok()) return credentials.status();
  return grpc::CreateChannel(settings.target, *credentials);
}

}  // namespace qbake
