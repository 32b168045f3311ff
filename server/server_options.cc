#include "server/server_options.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <set>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace qbake {
namespace {

// One flag: how --help shows it and how its value lands in the options.
struct Flag {
  absl::string_view name;
  absl::string_view value_name;
  absl::string_view help;
  std::function<absl::Status(absl::string_view value, ServerOptions* options)> set;
};

absl::Status BadValue(absl::string_view flag, absl::string_view value, absl::string_view want) {
  return absl::InvalidArgumentError(absl::StrCat(flag, " is '", value, "'; it takes ", want));
}

absl::StatusOr<int> ParseCount(absl::string_view flag, absl::string_view value) {
  int count = 0;
  if (!absl::SimpleAtoi(value, &count) || count < 0) {
    return BadValue(flag, value, "a whole number, 0 or more");
  }
  return count;
}

// A thread count: a pool far beyond any machine's cores only fails to start.
absl::StatusOr<int> ParseThreads(absl::string_view flag, absl::string_view value) {
  int count = 0;
  if (!absl::SimpleAtoi(value, &count) || count < 0 || count > kMaxServerThreads) {
    return BadValue(flag, value, absl::StrCat("a whole number from 0 to ", kMaxServerThreads));
  }
  return count;
}

// "4096", "512K", "64G", "64GiB": bytes with an optional binary unit.
absl::StatusOr<uint64_t> ParseByteSize(absl::string_view flag, absl::string_view value) {
  static constexpr absl::string_view kUnits = "KMGT";
  const std::string upper = absl::AsciiStrToUpper(value);
  absl::string_view digits = upper;
  const bool long_unit = absl::ConsumeSuffix(&digits, "IB");
  const size_t unit = digits.empty() ? absl::string_view::npos : kUnits.find(digits.back());
  int shift = 0;
  if (unit != absl::string_view::npos) {
    shift = 10 * static_cast<int>(unit + 1);
    digits.remove_suffix(1);
  }
  uint64_t count = 0;
  if ((long_unit && shift == 0) || !absl::SimpleAtoi(digits, &count) || count == 0 ||
      count > (std::numeric_limits<uint64_t>::max() >> shift)) {
    return BadValue(flag, value, "a byte count above 0, such as 4096, 512M or 64GiB");
  }
  return count << shift;
}

absl::StatusOr<absl::Duration> ParseSeconds(absl::string_view flag, absl::string_view value) {
  double seconds = 0;
  if (!absl::SimpleAtod(value, &seconds) || !(seconds >= 0) || seconds > 1e9) {
    return BadValue(flag, value, "a number of seconds, 0 or more");
  }
  return absl::Seconds(seconds);
}

// Stores a parsed value, or passes the parse error on.
template <typename T, typename Parse>
std::function<absl::Status(absl::string_view, ServerOptions*)> Setter(absl::string_view flag,
                                                                      Parse parse,
                                                                      T ServerOptions::*field) {
  return [flag, parse, field](absl::string_view value, ServerOptions* options) {
    absl::StatusOr<T> parsed = parse(flag, value);
    if (!parsed.ok()) return parsed.status();
    options->*field = *parsed;
    return absl::OkStatus();
  };
}

std::function<absl::Status(absl::string_view, ServerOptions*)> TextSetter(
    std::string ServerOptions::*field) {
  return [field](absl::string_view value, ServerOptions* options) {
    options->*field = std::string(value);
    return absl::OkStatus();
  };
}

const std::vector<Flag>& Flags() {
  static const std::vector<Flag>* const flags = new std::vector<Flag>{
      {"--listen", "HOST:PORT", "address to serve on; port 0 picks a free port (0.0.0.0:50051)",
       TextSetter(&ServerOptions::listen)},
      {"--health-listen", "HOST:PORT",
       "also serve gRPC health, plaintext, here (for probes when --listen has TLS) (none)",
       TextSetter(&ServerOptions::health_listen)},
      {"--metrics-listen", "HOST:PORT",
       "serve Prometheus metrics at http://HOST:PORT/metrics (none)",
       TextSetter(&ServerOptions::metrics_listen)},
      {"--threads", "N", "threads that bake; 0 means one per hardware thread (0)",
       Setter("--threads", ParseThreads, &ServerOptions::threads)},
      {"--max-concurrent", "N", "calls served at once, more wait; 0 means 2 x threads (0)",
       Setter("--max-concurrent", ParseCount, &ServerOptions::max_concurrent)},
      {"--max-queued", "N",
       "calls that may wait for a place, in arrival order; more get RESOURCE_EXHAUSTED "
       "with a retry hint (64)",
       Setter("--max-queued", ParseCount, &ServerOptions::max_queued)},
      {"--queue-timeout", "SECONDS",
       "longest wait for a place (or the call's deadline, if sooner), then "
       "RESOURCE_EXHAUSTED with a retry hint (60)",
       Setter("--queue-timeout", ParseSeconds, &ServerOptions::queue_timeout)},
      {"--max-model-bytes", "BYTES",
       "largest model a call may bring, external data included, e.g. 512M (64GiB)",
       Setter("--max-model-bytes", ParseByteSize, &ServerOptions::max_model_bytes)},
      {"--max-memory", "BYTES",
       "request bytes all calls together may hold, more get RESOURCE_EXHAUSTED, e.g. 4G "
       "(no limit)",
       Setter("--max-memory", ParseByteSize, &ServerOptions::max_memory)},
      {"--max-connection-age", "SECONDS",
       "ask a client connection this old to reconnect, so clients reach new replicas; "
       "0 never (300)",
       Setter("--max-connection-age", ParseSeconds, &ServerOptions::max_connection_age)},
      {"--max-connection-age-grace", "SECONDS",
       "how long calls on such a connection may still run (1800)",
       Setter("--max-connection-age-grace", ParseSeconds,
              &ServerOptions::max_connection_age_grace)},
      {"--grace-period", "SECONDS",
       "on SIGTERM or SIGINT, how long in-flight calls may still run (30)",
       Setter("--grace-period", ParseSeconds, &ServerOptions::grace_period)},
      {"--idle-timeout", "SECONDS",
       "end a call that makes no progress this long (nothing received, no result "
       "taken, no bake step); 0 never (30)",
       Setter("--idle-timeout", ParseSeconds, &ServerOptions::idle_timeout)},
      {"--tls-cert", "FILE", "PEM certificate chain: serve TLS (with --tls-key)",
       TextSetter(&ServerOptions::tls_cert)},
      {"--tls-key", "FILE", "PEM private key of --tls-cert", TextSetter(&ServerOptions::tls_key)},
      {"--tls-client-ca", "FILE", "PEM CA bundle: require client certificates it signed (mTLS)",
       TextSetter(&ServerOptions::tls_client_ca)},
      {"--auth-token-file", "FILE",
       "require 'authorization: Bearer TOKEN' on Baker calls, TOKEN being FILE's text",
       TextSetter(&ServerOptions::auth_token_file)},
  };
  return *flags;
}

const Flag* FindFlag(absl::string_view name) {
  for (const Flag& flag : Flags()) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
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
  ServerCommandLine parsed;
  std::set<absl::string_view> seen;
  for (size_t i = 0; i < args.size(); ++i) {
    const absl::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      continue;
    }
    if (arg == "--version") {
      parsed.version = true;
      continue;
    }
    const size_t equals = arg.find('=');
    const Flag* flag = FindFlag(arg.substr(0, equals));
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument '", arg, "'"));
    }
    if (!seen.insert(flag->name).second) {
      return absl::InvalidArgumentError(absl::StrCat(flag->name, " is given more than once"));
    }
    absl::string_view value;
    if (equals != absl::string_view::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    }
    if (value.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(flag->name, " needs a value"));
    }
    absl::Status set = flag->set(value, &parsed.options);
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
      "Flags:\n";
  for (const Flag& flag : Flags()) {
    absl::StrAppendFormat(&usage, "  %-26s %s\n", absl::StrCat(flag.name, " ", flag.value_name),
                          flag.help);
  }
  absl::StrAppend(&usage, "  ", absl::StrFormat("%-26s", "--version"), " print the version\n", "  ",
                  absl::StrFormat("%-26s", "--help"), " this text\n",
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
