// What every qbake command shares: exit codes, the error report (exactly one line on
// stderr: "qbake: error: MESSAGE"), and the way a command goes from its command line
// (read by common/command_line_flags.h) to its exit code.
#ifndef QBAKE_CLI_COMMAND_LINE_H_
#define QBAKE_CLI_COMMAND_LINE_H_

#include <cstdio>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/command_line_flags.h"

namespace qbake {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,             // the command ran and failed: the input was refused, or I/O failed
  kExitUsage = kUsageExitCode,  // the command line is wrong
  kExitUnavailable = 3,         // the server was unreachable, busy or too slow after every retry
  kExitCredentials = 4,         // the server refused the credentials (token, TLS)
};

// The exit code of a command that failed with `status`: kExitUnavailable when
// trying again later may succeed (UNAVAILABLE, CANCELLED on the way, busy
// RESOURCE_EXHAUSTED with a retry hint, DEADLINE_EXCEEDED), kExitCredentials for UNAUTHENTICATED,
// PERMISSION_DENIED and a failed TLS handshake, else kExitFailure.
int ExitCodeFor(const absl::Status& status);

// Prints "qbake: error: MESSAGE" on stderr as one line (line breaks become spaces).
void PrintError(absl::string_view message);
// The same as "qbake: warning: MESSAGE": something went wrong that qbake mends, such
// as a retried call.
void PrintWarning(absl::string_view message);

// Runs the command `command_line` chose: --help prints `help` (kExitOk); else reads
// its Flags with `flags_from_args` (an error is a usage error: kExitUsage), then
// returns what `run` returns for them.
template <typename Flags>
int RunCommand(const CommandLine& command_line, const std::string& help,
               absl::StatusOr<Flags> (*flags_from_args)(const CommandLine&),
               int (*run)(const Flags&)) {
  if (command_line.help) {
    std::fputs(help.c_str(), stdout);
    return kExitOk;
  }
  absl::StatusOr<Flags> flags = flags_from_args(command_line);
  if (!flags.ok()) return ReportUsageError(command_line.command, flags.status().message());
  return run(*flags);
}

}  // namespace qbake

#endif  // QBAKE_CLI_COMMAND_LINE_H_
