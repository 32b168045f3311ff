// What every qbake command shares: exit codes, a small flag parser, and the error
// report (exactly one line on stderr: "qbake: error: MESSAGE").
#ifndef QBAKE_CLIENT_COMMAND_LINE_H_
#define QBAKE_CLIENT_COMMAND_LINE_H_

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
  kExitFailure = 1,  // the command ran and failed
  kExitUsage = 2,    // the command line is wrong
};

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

// PrintError(MESSAGE + a pointer to `help_command`); returns kExitUsage.
int UsageError(absl::string_view message, absl::string_view help_command);

}  // namespace qbake

#endif  // QBAKE_CLIENT_COMMAND_LINE_H_
