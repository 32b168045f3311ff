#include "client/remote_channel.h"

#include "absl/strings/str_cat.h"
#include "common/auth_token.h"
#include "common/pem_file.h"
#include "common/status_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/client_interceptor.h"

namespace qbake {
namespace {

// The file's text, or "" when no file is named.
absl::StatusOr<std::string> ReadOptionalPem(const std::string& path, absl::string_view what) {
  if (path.empty()) return std::string();
  absl::StatusOr<std::string> pem = ReadPemFile(path);
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
    absl::StatusOr<std::string> text = ReadOptionalPem(*path, what);
    if (!text.ok()) return text.status();
    *pem = std::move(*text);
  }
  return grpc::SslCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const ChannelSettings& settings) {
  if (!settings.UsesTls()) return grpc::InsecureChannelCredentials();
  return TlsCredentials(settings);
}

// Adds "authorization: Bearer TOKEN" to the metadata every call sends.
class BearerInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit BearerInterceptor(const std::string* bearer) : bearer_(bearer) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(std::string(kAuthorizationKey), *bearer_);
    }
    methods->Proceed();
  }

 private:
  const std::string* bearer_;  // owned by the factory, which the channel keeps
};

class BearerInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerInterceptorFactory(absl::string_view token) : bearer_(BearerValue(token)) {}

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* /*info*/) override {
    return new BearerInterceptor(&bearer_);
  }

 private:
  const std::string bearer_;
};

// Every channel spreads its calls over all the target's addresses, one after the
// other (round_robin), so a target of several replicas shares the work and a lost
// replica's calls go to the others.
grpc::ChannelArguments ChannelArguments() {
  grpc::ChannelArguments arguments;
  arguments.SetLoadBalancingPolicyName("round_robin");
  return arguments;
}

// A channel whose calls present the token of `auth_token_file`.
absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelWithToken(
    const ChannelSettings& settings, std::shared_ptr<grpc::ChannelCredentials> credentials) {
  absl::StatusOr<std::string> token =
      ReadAuthTokenFile("--auth-token-file", settings.auth_token_file);
  if (!token.ok()) return token.status();
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<BearerInterceptorFactory>(*token));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      settings.target, credentials, ChannelArguments(), std::move(factories));
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
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ChannelCredentials(settings);
  if (!credentials.ok()) return credentials.status();
  if (!settings.auth_token_file.empty()) return ChannelWithToken(settings, *credentials);
  return grpc::CreateCustomChannel(settings.target, *credentials, ChannelArguments());
}

}  // namespace qbake
