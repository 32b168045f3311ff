// qbake-server's settings and their command line, read by the parser both binaries
// share (common/command_line_flags.h): "--flag VALUE" or "--flag=VALUE", each flag at
// most once, --help and --version; a flag not given takes the value of its QBAKE_*
// environment variable (--max-model-bytes: QBAKE_MAX_MODEL_BYTES), if set. Parsing
// only checks values; files named by the TLS and auth token flags are read when the
// server starts.
#ifndef QBAKE_SERVER_SERVER_OPTIONS_H_
#define QBAKE_SERVER_SERVER_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace qbake {

// The most --threads may ask for.
inline constexpr int kMaxServerThreads = 1024;

struct ServerOptions {
  // host:port; port 0 picks a free port.
  std::string listen = "0.0.0.0:50051";
  // host:port of a plaintext port serving only gRPC health (the same statuses as
  // --listen), for probes that cannot present TLS; empty: none.
  std::string health_listen;
  // host:port serving Prometheus metrics at /metrics over HTTP; empty: none.
  std::string metrics_listen;
  // Worker threads that bake; 0 means one per hardware thread.
  int threads = 0;
  // Calls served at once; beyond it a call waits in the queue. 0 means 2 x threads.
  int max_concurrent = 0;
  // Calls that may wait for a place, in arrival order; beyond it a call gets
  // RESOURCE_EXHAUSTED with a retry hint at once.
  int max_queued = 64;
  // How long a call may wait for a place (its own deadline may end the wait sooner);
  // then RESOURCE_EXHAUSTED with a retry hint.
  absl::Duration queue_timeout = absl::Seconds(60);
  // Largest model a call may bring, external data included.
  uint64_t max_model_bytes = uint64_t{64} << 30;
  // Request bytes all calls together may hold (MemoryBudget); 0 (not given) means no
  // limit.
  uint64_t max_memory = 0;
  // A client connection's age at which it is asked to reconnect, and how long its
  // calls may still run then (see ApplyConnectionLifetime).
  absl::Duration max_connection_age = absl::Minutes(5);
  absl::Duration max_connection_age_grace = absl::Minutes(30);
  // How long in-flight calls may run on after SIGTERM or SIGINT.
  absl::Duration grace_period = absl::Seconds(30);
  // A call that makes no progress this long is ended (StallWatchdog); zero: never.
  absl::Duration idle_timeout = absl::Seconds(30);
  // PEM files; empty for a plaintext server. A client CA requires client certificates.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // A file holding the token every Baker call must present as "authorization:
  // Bearer TOKEN" (see common/auth_token.h); empty lets every call in.
  std::string auth_token_file;
};

struct ServerCommandLine {
  ServerOptions options;
  bool help = false;     // --help or -h: print ServerUsage() and exit
  bool version = false;  // --version: print the version and exit
};

// INVALID_ARGUMENT naming the flag (or the variable a malformed value came from) for
// an unknown flag, a missing or malformed value, a flag given twice, or TLS flags that
// do not go together.
absl::StatusOr<ServerCommandLine> ParseServerCommandLine(absl::Span<const std::string> args);

// The --help text.
std::string ServerUsage();

// The options with defaults applied: threads and max_concurrent never 0.
ServerOptions ResolveDefaults(ServerOptions options);

}  // namespace qbake

#endif  // QBAKE_SERVER_SERVER_OPTIONS_H_
