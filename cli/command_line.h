// What every qbake command shares: exit codes, a small flag parser, the error
// report (exactly one line on stderr: "qbake: error: MESSAGE"), and the way a
// command goes from its arguments to its exit code.
#ifndef QBAKE_CLI_COMMAND_LINE_H_
#define QBAKE_CLI_COMMAND_LINE_H_

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace qbake {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,      // the command ran and failed: the input was refused, or I/O failed
  kExitUsage = 2,        // the command line is wrong
  kExitUnavailable = 3,  // the server was unreachable, busy or too slow after every retry
  kExitCredentials = 4,  // the server refused the credentials (token, TLS)
};

// The exit code of a command that failed with `status`: kExitUnavailable when
// trying again later may succeed (UNAVAILABLE, CANCELLED on the way, busy
// RESOURCE_EXHAUSTED with a retry hint, DEADLINE_EXCEEDED), kExitCredentials for UNAUTHENTICATED,
// PERMISSION_DENIED and a failed TLS handshake, else kExitFailure.
int ExitCodeFor(const absl::Status& status);

struct ParsedArgs {
  std::vector<std::string> positionals;
  std::map<std::string, std::string, std::less<>> values;  // by flag, e.g. "--config"
  bool help = false;                                       // --help or -h was given

  // The value given for `flag`, or nullptr.
  const std::string* Find(absl::string_view flag) const;
};

// Parses "--flag VALUE", "--flag=VALUE", --help/-h and positionals. Only the flags in
// `value_flags` exist, and each takes a non-empty value (one starting with "--" only
// in the "--flag=VALUE" form). INVALID_ARGUMENT for an
// unknown flag, a missing value, or a flag given twice.
absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                     absl::Span<const absl::string_view> value_flags);

// Prints "qbake: error: MESSAGE" on stderr as one line (line breaks become spaces).
void PrintError(absl::string_view message);
// The same as "qbake: warning: MESSAGE": something went wrong that qbake mends, such
// as a retried call.
void PrintWarning(absl::string_view message);

// PrintError(MESSAGE + a pointer to `help_command`); returns kExitUsage.
int UsageError(absl::string_view message, absl::string_view help_command);

// What a command's command line is made of.
struct CommandSyntax {
  absl::string_view help_command;  // "qbake bake": named in usage errors
  std::string help;                // printed for --help
  std::vector<absl::string_view> value_flags;
};

// Runs a command: parses `args` by `syntax` (--help prints the help: kExitOk),
// reads its Flags with `flags_from_args` (an error is a usage error: kExitUsage),
// then returns what `run` returns for them.
template <typename Flags>
int RunCommand(absl::Span<const std::string> args, const CommandSyntax& syntax,
               absl::StatusOr<Flags> (*flags_from_args)(const ParsedArgs&),
               int (*run)(const Flags&)) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, syntax.value_flags);
  if (!parsed.ok()) return UsageError(parsed.status().message(), syntax.help_command);
  if (parsed->help) {
    std::fputs(syntax.help.c_str(), stdout);
    return kExitOk;
  }
  absl::StatusOr<Flags> flags = flags_from_args(*parsed);
  if (!flags.ok()) return UsageError(flags.status().message(), syntax.help_command);
  return run(*flags);
}

}  // namespace qbake

#endif  // QBAKE_CLI_COMMAND_LINE_H_
