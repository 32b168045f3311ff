#include "cli/health_command.h"

#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"
#include "cli/command_line.h"
#include "cli/remote_flags.h"
#include "client/remote_channel.h"
#include "client/remote_health.h"
#include "common/status_util.h"

namespace qbake {
namespace {

constexpr absl::Duration kDefaultDeadline = absl::Seconds(10);

constexpr absl::string_view kUsage =
    R"(Usage: qbake health --server HOST:PORT [flags]

Asks a qbake-server for its health with gRPC's standard health check
(grpc.health.v1.Health/Check) and prints the status it reports: SERVING,
NOT_SERVING (for example while it drains for shutdown), SERVICE_UNKNOWN or UNKNOWN.

  --server HOST:PORT      the server to ask
)";

constexpr absl::string_view kHelpTail = R"(  -h, --help              show this help

Example:
  qbake health --server localhost:50051

Exit codes:
  0  the server is SERVING
  1  it reports another status (printed on stdout), or it cannot be reached (one
     line "qbake: error: ..." on stderr names the cause)
  2  usage error: unknown flag, missing or malformed argument
)";

// `qbake health` takes no positionals: the parser refuses them.
absl::StatusOr<RemoteFlags> FlagsFromArgs(const CommandLine& args) {
  absl::StatusOr<std::optional<RemoteFlags>> remote = RemoteFlagsFromArgs(args, kDefaultDeadline);
  if (!remote.ok()) return remote.status();
  if (!*remote) return absl::InvalidArgumentError("--server is required");
  return **remote;
}

absl::StatusOr<ServingStatus> AskServer(const RemoteFlags& flags) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(flags.channel);
  if (!channel.ok()) return channel.status();
  absl::StatusOr<ServingStatus> status = CheckHealth(*channel, flags.deadline);
  if (!status.ok()) {
    return Annotate(status.status(),
                    absl::StrCat("cannot check the health of ", flags.channel.target));
  }
  return status;
}

// Prints the server's status; exit 0 only when it is SERVING.
int CheckAndPrint(const RemoteFlags& flags) {
  absl::StatusOr<ServingStatus> status = AskServer(flags);
  if (!status.ok()) {
    PrintError(status.status().message());
    return kExitFailure;
  }
  std::printf("%s\n", grpc::health::v1::HealthCheckResponse::ServingStatus_Name(*status).c_str());
  return *status == grpc::health::v1::HealthCheckResponse::SERVING ? kExitOk : kExitFailure;
}

}  // namespace

std::string HealthHelp() {
  return absl::StrCat(kUsage, RemoteFlagsHelp(kDefaultDeadline), kHelpTail);
}

CommandSpec HealthCommandSpec() { return {"health", WithRemoteFlags({})}; }

int RunHealthCommand(const CommandLine& command_line) {
  return RunCommand(command_line, HealthHelp(), &FlagsFromArgs, &CheckAndPrint);
}

}  // namespace qbake
