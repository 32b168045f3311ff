#include "cli/remote_flags.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_util.h"

namespace qbake {
namespace {

constexpr absl::string_view kServer = "--server";
constexpr absl::string_view kDeadline = "--deadline";
constexpr absl::string_view kTlsCa = "--tls-ca";
constexpr absl::string_view kTlsCert = "--tls-cert";
constexpr absl::string_view kTlsKey = "--tls-key";
constexpr absl::string_view kAuthTokenFile = "--auth-token-file";

absl::StatusOr<absl::Duration> ParseDeadline(const std::string& text) {
  double seconds = 0;
  if (!absl::SimpleAtod(text, &seconds) || !std::isfinite(seconds) || seconds <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(kDeadline, " must be a positive number of seconds, not '", text, "'"));
  }
  return absl::Seconds(seconds);
}

// The value of `flag`, or "".
std::string ValueOf(const CommandLine& args, absl::string_view flag) {
  const std::string* value = args.Find(flag);
  return value == nullptr ? std::string() : *value;
}

}  // namespace

std::vector<FlagSpec> WithRemoteFlags(std::vector<FlagSpec> command_flags) {
  for (absl::string_view flag : {kServer, kTlsCa, kTlsCert, kTlsKey, kAuthTokenFile, kDeadline}) {
    command_flags.push_back({std::string(flag)});
  }
  return command_flags;
}

std::string RemoteFlagsHelp(absl::Duration default_deadline) {
  return absl::StrFormat(
      R"(  --tls-ca CA.pem         use TLS and trust the server's certificate when this CA
                          signed it (other TLS flags alone trust the system's CAs)
  --tls-cert CERT.pem     with --tls-key: present this client certificate, for
                          servers that require one (mutual TLS)
  --tls-key KEY.pem       the private key of --tls-cert
  --auth-token-file FILE  present the token in FILE to servers that require one
  --deadline SECONDS      give up on the server after this long (default %g)
)",
      absl::ToDoubleSeconds(default_deadline));
}

absl::StatusOr<std::optional<RemoteFlags>> RemoteFlagsFromArgs(const CommandLine& args,
                                                               absl::Duration default_deadline) {
  if (args.Find(kServer) == nullptr) {
    for (absl::string_view flag : {kTlsCa, kTlsCert, kTlsKey, kAuthTokenFile, kDeadline}) {
      if (args.Find(flag) != nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(flag, " needs ", kServer));
      }
    }
    return std::nullopt;
  }
  RemoteFlags remote{{ValueOf(args, kServer), ValueOf(args, kTlsCa), ValueOf(args, kTlsCert),
                      ValueOf(args, kTlsKey), ValueOf(args, kAuthTokenFile)},
                     default_deadline};
  absl::Status valid = ValidateChannelSettings(remote.channel);
  if (!valid.ok()) return Annotate(valid, absl::StrCat(kServer, ", ", kTlsCert, ", ", kTlsKey));
  if (const std::string* deadline = args.Find(kDeadline)) {
    absl::StatusOr<absl::Duration> parsed = ParseDeadline(*deadline);
    if (!parsed.ok()) return parsed.status();
    remote.deadline = *parsed;
  }
  return remote;
}

}  // namespace qbake
