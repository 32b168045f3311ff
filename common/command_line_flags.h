// The one command-line parser of qbake and qbake-server, built on CLI11 (which only
// the .cc sees). A command is described by a CommandSpec; ParseCommandLine reads
// the arguments by it, by these rules, the same for every command:
//
//  * A value flag takes one value: "--flag=VALUE", or "--flag VALUE" when VALUE does
//    not start with "--" (such a value is given only as "--flag=--VALUE").
//  * -h/--help is a flag of every command, --version of the outermost one.
//  * A command with subcommands takes the first argument that names one as its
//    subcommand; the arguments after it are the subcommand's. "--" ends the flags.
//  * A flag with an environment variable (FlagSpec::env) that is not on the command
//    line takes the variable's value; the command line wins, an empty variable
//    counts as unset.
//  * Usage errors, each INVALID_ARGUMENT with this message. First, in argument order,
//    "--flag needs a value" (none, empty, or a separated one starting with "--") and
//    "--help takes no value" (--version too); then, in argument order, "unknown
//    argument '--flag'", "unexpected argument 'ARG'" (a positional for a command that
//    takes none) and "unknown command 'ARG'"; then "--flag is given more than once";
//    then "missing command" (subcommands but none chosen, and neither --help nor
//    --version). A usage error wins over --help.
//
// How CLI11 is used: every "--flag VALUE" is first bound to "--flag=VALUE" here (CLI11
// would read "--flag --x" as a value and "--flag -x" as two flags); CLI11 then reads
// flags, positionals, subcommands and variables, keeping what it does not know as
// extras and every repeat, which are refused here in the words above.
//
// Values are text here: each command checks its own (ParseByteSize below for sizes).
// ReportUsageError prints a usage error the way both binaries do: one line on stderr,
// "PROGRAM: error: MESSAGE (see 'COMMAND --help')", and gives exit code 2.
#ifndef QBAKE_COMMON_COMMAND_LINE_FLAGS_H_
#define QBAKE_COMMON_COMMAND_LINE_FLAGS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace qbake {

// The exit code of a wrong command line, for both binaries.
inline constexpr int kUsageExitCode = 2;

// A flag that takes a value.
struct FlagSpec {
  std::string name{};        // "--listen"
  std::string value_name{};  // "HOST:PORT", for FlagHelpLines
  std::string help{};        // one line, for FlagHelpLines
  std::string env{};         // "QBAKE_LISTEN": the value when the flag is not given; "" none
};

struct CommandSpec {
  std::string name{};  // "qbake-server", "qbake"; a subcommand's: "bake"
  std::vector<FlagSpec> flags{};
  bool takes_positionals = false;
  std::vector<CommandSpec> subcommands{};
};

struct CommandLine {
  // The command reached: "qbake-server", "qbake bake" (filled on failure too, to
  // point at the right help).
  std::string command;
  std::string subcommand;  // the subcommand chosen, "" for none
  std::vector<std::string> positionals;
  bool help = false;     // -h or --help was given
  bool version = false;  // --version was given
  // The value of each flag given, and where it came from: the flag, or its variable.
  struct Value {
    std::string text;
    std::string source;  // "--threads" or "QBAKE_THREADS": for messages about the value
  };
  std::map<std::string, Value, std::less<>> values;

  // The value of `flag`, or nullptr.
  const std::string* Find(absl::string_view flag) const;
  // Where the value of `flag` came from: `flag` itself unless it came from its variable.
  std::string SourceOf(absl::string_view flag) const;
};

// Reads `args` (without the program name) by `spec` into *parsed (see the rules above).
absl::Status ParseCommandLine(const CommandSpec& spec, absl::Span<const std::string> args,
                              CommandLine* parsed);

// "  --flag VALUE_NAME         help" per flag, then "[env VAR]" lines, then --version
// (when `with_version`) and --help: the flag part of a --help text.
std::string FlagHelpLines(const CommandSpec& spec, bool with_version);

// Prints "PROGRAM: error: MESSAGE (see 'COMMAND --help')" on stderr as one line
// (line breaks become spaces), PROGRAM being the first word of `command`; returns
// kUsageExitCode.
int ReportUsageError(absl::string_view command, absl::string_view message);

// Prints "PROGRAM: KIND: MESSAGE" on stderr as one line (line breaks become spaces).
void PrintDiagnostic(absl::string_view program, absl::string_view kind, absl::string_view message);

// Prints "PROGRAM VERSION" (common/version.h) on stdout; returns 0.
int PrintVersion(absl::string_view program);

// "4096", "512K", "64G", "64GiB" (any letter case): a byte count above 0 with an
// optional binary unit K, M, G or T (= KiB ... TiB). nullopt for anything else, 0,
// or a count beyond 2^64 - 1.
std::optional<uint64_t> ParseByteSize(absl::string_view text);

}  // namespace qbake

#endif  // QBAKE_COMMON_COMMAND_LINE_FLAGS_H_
