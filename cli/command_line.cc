#include "cli/command_line.h"

#include <algorithm>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "client/retry_policy.h"

namespace qbake {

const std::string* ParsedArgs::Find(absl::string_view flag) const {
  const auto found = values.find(flag);
  return found == values.end() ? nullptr : &found->second;
}

absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                     absl::Span<const absl::string_view> value_flags) {
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      parsed.positionals.push_back(arg);
      continue;
    }
    const size_t equals = arg.find('=');
    const std::string flag = arg.substr(0, equals);
    if (std::find(value_flags.begin(), value_flags.end(), flag) == value_flags.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '", flag, "'"));
    }
    std::string value;
    if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size() && !absl::StartsWith(args[i + 1], "--")) {
      value = args[++i];
    }
    if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, " needs a value"));
    if (!parsed.values.emplace(flag, value).second) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " is given more than once"));
    }
  }
  return parsed;
}

namespace {

void PrintLine(absl::string_view kind, absl::string_view message) {
  const std::string line = absl::StrReplaceAll(message, {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
  std::fprintf(stderr, "qbake: %.*s: %s\n", static_cast<int>(kind.size()), kind.data(),
               line.c_str());
}

}  // namespace

void PrintError(absl::string_view message) { PrintLine("error", message); }

void PrintWarning(absl::string_view message) { PrintLine("warning", message); }

int ExitCodeFor(const absl::Status& status) {
  if (IsTlsHandshakeFailure(status)) return kExitCredentials;
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return kExitCredentials;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnavailable;
    case absl::StatusCode::kResourceExhausted:
      return IsRetryable(status) ? kExitUnavailable : kExitFailure;
    default:
      return kExitFailure;
  }
}

int UsageError(absl::string_view message, absl::string_view help_command) {
  PrintError(absl::StrCat(message, " (see '", help_command, " --help')"));
  return kExitUsage;
}

}  // namespace qbake
