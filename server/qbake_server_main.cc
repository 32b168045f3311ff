// qbake-server: serves qbake.v1.Baker until SIGTERM or SIGINT, then drains and exits 0.
// Exit codes: 0 after a clean drain or --help, 1 when it cannot start, 2 for a bad
// command line, 3 when its listener stopped accepting connections (ListenerWatch):
// it drains what it serves and exits, so that it is restarted, instead of living on
// with no new client able to reach it.
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/allocator_settings.h"
#include "common/command_line_flags.h"
#include "common/version.h"
#include "core/kernel_path.h"
#include "nlohmann/json.hpp"
#include "server/bake_server.h"
#include "server/descriptor_limit.h"
#include "server/listener_watch.h"
#include "server/log_line.h"
#include "server/server_options.h"
#include "server/shutdown_signals.h"

namespace qbake {
namespace {

// "qbake-server listening on HOST:PORT", then ", health on HOST:PORT" and ", metrics
// on http://HOST:PORT/metrics" for the ports asked for: the one line on stdout.
std::string ListeningLine(const BakeServer& server) {
  std::string line = absl::StrCat("qbake-server listening on ", server.address());
  if (!server.health_address().empty()) {
    absl::StrAppend(&line, ", health on ", server.health_address());
  }
  if (!server.metrics_address().empty()) {
    absl::StrAppend(&line, ", metrics on http://", server.metrics_address(), "/metrics");
  }
  return line;
}

// The start-up line: where it serves, what it is and its settings (defaults resolved).
void LogServing(const BakeServer& server) {
  const ServerOptions& options = server.options();
  nlohmann::ordered_json fields;
  fields["address"] = server.address();
  if (!server.health_address().empty()) fields["health_address"] = server.health_address();
  if (!server.metrics_address().empty()) fields["metrics_address"] = server.metrics_address();
  fields["version"] = std::string(QbakeVersion());
  fields["kernel"] = std::string(KernelPathName(ActiveKernelPath()));
  fields["threads"] = options.threads;
  fields["max_concurrent"] = options.max_concurrent;
  fields["max_queued"] = options.max_queued;
  fields["queue_timeout_s"] = absl::ToDoubleSeconds(options.queue_timeout);
  fields["max_model_bytes"] = options.max_model_bytes;
  fields["tls"] = !options.tls_cert.empty();
  WriteLog("info", "serving", fields);
}

int Main(const std::vector<std::string>& args) {
  absl::StatusOr<ServerCommandLine> command_line = ParseServerCommandLine(args);
  // A wrong command line is told to the person who typed it, in plain words; once
  // the server starts, every line is a JSON log line (server/log_line.h).
  if (!command_line.ok()) {
    return ReportUsageError("qbake-server", command_line.status().message());
  }
  if (command_line->help) {
    std::fputs(ServerUsage().c_str(), stdout);
    return 0;
  }
  if (command_line->version) return PrintVersion("qbake-server");
  BlockShutdownSignals();
  RaiseDescriptorLimit();
  absl::StatusOr<std::unique_ptr<BakeServer>> server = BakeServer::Start(command_line->options);
  if (!server.ok()) {
    WriteLog("error", server.status().message());
    return 1;
  }
  std::printf("%s\n", ListeningLine(**server).c_str());
  std::fflush(stdout);
  LogServing(**server);
  std::atomic<bool> deaf{false};
  auto watch = std::make_unique<ListenerWatch>((*server)->port(), [&deaf](uint32_t waiting) {
    WriteLog("error",
             absl::StrFormat("the listener has stopped accepting connections (%d waiting for over "
                             "%s; gRPC 1.51 stops accepting for good once it runs out of "
                             "descriptors, CVE-2023-4785): exiting with status 3 so that it is "
                             "restarted",
                             waiting, absl::FormatDuration(kListenerCheckInterval * kDeafChecks)));
    deaf = true;
    kill(getpid(), SIGTERM);
  });
  const int signal = WaitForShutdownSignal();
  watch.reset();
  WriteLog("info", "draining",
           {{"reason", deaf ? "listener deaf" : strsignal(signal)},
            {"grace_period_s", absl::ToDoubleSeconds(command_line->options.grace_period)}});
  (*server)->Drain(command_line->options.grace_period);
  WriteLog("info", "stopped");
  return deaf ? 3 : 0;
}

}  // namespace
}  // namespace qbake

int main(int argc, char** argv) {
  qbake::PinAllocator();
  return qbake::Main(std::vector<std::string>(argv + 1, argv + argc));
}
