#include "server/server_options.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/command_line_flags.h"

namespace qbake {
namespace {

// One flag: its spelling, help and variable (common/command_line_flags.h), and how
// its value lands in the options.
struct Flag {
  FlagSpec spec;
  std::function<absl::Status(absl::string_view source, absl::string_view value,
                             ServerOptions* options)>
      set;
};

// `source` is the flag, or the environment variable the value came from.
absl::Status BadValue(absl::string_view source, absl::string_view value, absl::string_view want) {
  return absl::InvalidArgumentError(absl::StrCat(source, " is '", value, "'; it takes ", want));
}

absl::StatusOr<int> ParseCount(absl::string_view source, absl::string_view value) {
  int count = 0;
  if (!absl::SimpleAtoi(value, &count) || count < 0) {
    return BadValue(source, value, "a whole number, 0 or more");
  }
  return count;
}

// A thread count: a pool far beyond any machine's cores only fails to start.
absl::StatusOr<int> ParseThreads(absl::string_view source, absl::string_view value) {
  int count = 0;
  if (!absl::SimpleAtoi(value, &count) || count < 0 || count > kMaxServerThreads) {
    return BadValue(source, value, absl::StrCat("a whole number from 0 to ", kMaxServerThreads));
  }
  return count;
}

absl::StatusOr<uint64_t> ParseBytes(absl::string_view source, absl::string_view value) {
  const std::optional<uint64_t> bytes = ParseByteSize(value);
  if (!bytes) return BadValue(source, value, "a byte count above 0, such as 4096, 512M or 64GiB");
  return *bytes;
}

absl::StatusOr<absl::Duration> ParseSeconds(absl::string_view source, absl::string_view value) {
  double seconds = 0;
  if (!absl::SimpleAtod(value, &seconds) || !(seconds >= 0) || seconds > 1e9) {
    return BadValue(source, value, "a number of seconds, 0 or more");
  }
  return absl::Seconds(seconds);
}

// Stores a parsed value, or passes the parse error on.
template <typename T, typename Parse>
std::function<absl::Status(absl::string_view, absl::string_view, ServerOptions*)> Setter(
    Parse parse, T ServerOptions::*field) {
  return [parse, field](absl::string_view source, absl::string_view value, ServerOptions* options) {
    absl::StatusOr<T> parsed = parse(source, value);
    if (!parsed.ok()) return parsed.status();
    options->*field = *parsed;
    return absl::OkStatus();
  };
}

std::function<absl::Status(absl::string_view, absl::string_view, ServerOptions*)> TextSetter(
    std::string ServerOptions::*field) {
  return [field](absl::string_view, absl::string_view value, ServerOptions* options) {
    options->*field = std::string(value);
    return absl::OkStatus();
  };
}

const std::vector<Flag>& Flags() {
  static const std::vector<Flag>* const flags = new std::vector<Flag>{
      {{"--listen", "HOST:PORT", "address to serve on; port 0 picks a free port (0.0.0.0:50051)",
        "QBAKE_LISTEN"},
       TextSetter(&ServerOptions::listen)},
      {{"--health-listen", "HOST:PORT",
        "also serve gRPC health, plaintext, here (for probes when --listen has TLS) (none)",
        "QBAKE_HEALTH_LISTEN"},
       TextSetter(&ServerOptions::health_listen)},
      {{"--metrics-listen", "HOST:PORT",
        "serve Prometheus metrics at http://HOST:PORT/metrics (none)", "QBAKE_METRICS_LISTEN"},
       TextSetter(&ServerOptions::metrics_listen)},
      {{"--threads", "N", "threads that bake; 0 means one per hardware thread (0)",
        "QBAKE_THREADS"},
       Setter(ParseThreads, &ServerOptions::threads)},
      {{"--max-concurrent", "N", "calls served at once, more wait; 0 means 2 x threads (0)",
        "QBAKE_MAX_CONCURRENT"},
       Setter(ParseCount, &ServerOptions::max_concurrent)},
      {{"--max-queued", "N",
        "calls that may wait for a place, in arrival order; more get RESOURCE_EXHAUSTED "
        "with a retry hint (64)",
        "QBAKE_MAX_QUEUED"},
       Setter(ParseCount, &ServerOptions::max_queued)},
      {{"--queue-timeout", "SECONDS",
        "longest wait for a place (or the call's deadline, if sooner), then "
        "RESOURCE_EXHAUSTED with a retry hint (60)",
        "QBAKE_QUEUE_TIMEOUT"},
       Setter(ParseSeconds, &ServerOptions::queue_timeout)},
      {{"--max-model-bytes", "BYTES",
        "largest model a call may bring, external data included, e.g. 512M (64GiB)",
        "QBAKE_MAX_MODEL_BYTES"},
       Setter(ParseBytes, &ServerOptions::max_model_bytes)},
      {{"--max-memory", "BYTES",
        "request bytes all calls together may hold, more get RESOURCE_EXHAUSTED, e.g. 4G "
        "(no limit)",
        "QBAKE_MAX_MEMORY"},
       Setter(ParseBytes, &ServerOptions::max_memory)},
      {{"--max-connection-age", "SECONDS",
        "ask a client connection this old to reconnect, so clients reach new replicas; "
        "0 never (300)",
        "QBAKE_MAX_CONNECTION_AGE"},
       Setter(ParseSeconds, &ServerOptions::max_connection_age)},
      {{"--max-connection-age-grace", "SECONDS",
        "how long calls on such a connection may still run (1800)",
        "QBAKE_MAX_CONNECTION_AGE_GRACE"},
       Setter(ParseSeconds, &ServerOptions::max_connection_age_grace)},
      {{"--grace-period", "SECONDS",
        "on SIGTERM or SIGINT, how long in-flight calls may still run (30)", "QBAKE_GRACE_PERIOD"},
       Setter(ParseSeconds, &ServerOptions::grace_period)},
      {{"--idle-timeout", "SECONDS",
        "end a call that makes no progress this long (nothing received, no result "
        "taken, no bake step); 0 never (30)",
        "QBAKE_IDLE_TIMEOUT"},
       Setter(ParseSeconds, &ServerOptions::idle_timeout)},
      {{"--tls-cert", "FILE", "PEM certificate chain: serve TLS (with --tls-key)",
        "QBAKE_TLS_CERT"},
       TextSetter(&ServerOptions::tls_cert)},
      {{"--tls-key", "FILE", "PEM private key of --tls-cert", "QBAKE_TLS_KEY"},
       TextSetter(&ServerOptions::tls_key)},
      {{"--tls-client-ca", "FILE", "PEM CA bundle: require client certificates it signed (mTLS)",
        "QBAKE_TLS_CLIENT_CA"},
       TextSetter(&ServerOptions::tls_client_ca)},
      {{"--auth-token-file", "FILE",
        "require 'authorization: Bearer TOKEN' on Baker calls, TOKEN being FILE's text",
        "QBAKE_AUTH_TOKEN_FILE"},
       TextSetter(&ServerOptions::auth_token_file)},
  };
  return *flags;
}

// qbake-server's command line (common/command_line_flags.h).
const CommandSpec& ServerCommandSpec() {
  static const CommandSpec* const spec = [] {
    auto* spec = new CommandSpec{"qbake-server"};
    for (const Flag& flag : Flags()) spec->flags.push_back(flag.spec);
    return spec;
  }();
  return *spec;
}

absl::Status CheckTls(const ServerOptions& options) {
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (!options.tls_client_ca.empty() && options.tls_cert.empty()) {
    return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ServerCommandLine> ParseServerCommandLine(absl::Span<const std::string> args) {
  CommandLine command_line;
  absl::Status parsed_flags = ParseCommandLine(ServerCommandSpec(), args, &command_line);
  if (!parsed_flags.ok()) return parsed_flags;
  ServerCommandLine parsed;
  parsed.help = command_line.help;
  parsed.version = command_line.version;
  for (const Flag& flag : Flags()) {
    const std::string* value = command_line.Find(flag.spec.name);
    if (value == nullptr) continue;
    absl::Status set = flag.set(command_line.SourceOf(flag.spec.name), *value, &parsed.options);
    if (!set.ok()) return set;
  }
  absl::Status tls = CheckTls(parsed.options);
  if (!tls.ok()) return tls;
  return parsed;
}

std::string ServerUsage() {
  std::string usage =
      "qbake-server - the qbake.v1.Baker gRPC service: bakes quantized parameters like PPQ\n"
      "\n"
      "Usage: qbake-server [flags]\n"
      "\n"
      "Flags (each also read from the environment variable named below it when not\n"
      "given; the command line wins):\n";
  absl::StrAppend(&usage, FlagHelpLines(ServerCommandSpec(), /*with_version=*/true),
                  "\nPrints 'qbake-server listening on HOST:PORT' once serving (then ', health on\n"
                  "HOST:PORT' and ', metrics on http://HOST:PORT/metrics' when asked for), on one\n"
                  "line. SIGTERM or SIGINT\n"
                  "drains: health turns NOT_SERVING, new calls get UNAVAILABLE, in-flight calls\n"
                  "finish within the grace period, then the server exits 0.\n");
  return usage;
}

ServerOptions ResolveDefaults(ServerOptions options) {
  if (options.threads == 0) {
    options.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  }
  if (options.max_concurrent == 0) options.max_concurrent = 2 * options.threads;
  return options;
}

}  // namespace qbake
