// The flags that point a qbake command at a qbake-server, shared by `qbake bake`
// and `qbake health`: --server HOST:PORT, the TLS files --tls-ca, --tls-cert and
// --tls-key, --auth-token-file FILE, and --deadline SECONDS.
#ifndef QBAKE_CLI_REMOTE_FLAGS_H_
#define QBAKE_CLI_REMOTE_FLAGS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/remote_channel.h"
#include "common/command_line_flags.h"

namespace qbake {

struct RemoteFlags {
  ChannelSettings channel;
  absl::Duration deadline;
};

// `command_flags` and the remote flags: every value flag a remote-capable command takes.
std::vector<FlagSpec> WithRemoteFlags(std::vector<FlagSpec> command_flags);

// Help lines for the TLS flags, --auth-token-file and --deadline (whose default is given), in the
// layout of the commands' help texts. Each command states --server itself.
std::string RemoteFlagsHelp(absl::Duration default_deadline);

// The remote flags of `args`; nullopt when --server is absent. INVALID_ARGUMENT
// naming the flag for a TLS flag, --auth-token-file or --deadline without --server, settings that
// ValidateChannelSettings refuses, or a --deadline that is not a positive
// number of seconds.
absl::StatusOr<std::optional<RemoteFlags>> RemoteFlagsFromArgs(const CommandLine& args,
                                                               absl::Duration default_deadline);

}  // namespace qbake

#endif  // QBAKE_CLI_REMOTE_FLAGS_H_
