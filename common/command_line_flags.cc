#include "common/command_line_flags.h"

#include <cctype>
#include <cstdio>
#include <limits>
#include <memory>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/version.h"

namespace qbake {
namespace {

constexpr absl::string_view kHelpFlag = "--help";
constexpr absl::string_view kVersionFlag = "--version";
// Where CLI11 keeps a command's positionals.
constexpr absl::string_view kPositionals = "positionals";

const FlagSpec* FindFlagSpec(const CommandSpec& spec, absl::string_view name) {
  for (const FlagSpec& flag : spec.flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

const CommandSpec* FindSubcommand(const CommandSpec& spec, absl::string_view name) {
  for (const CommandSpec& subcommand : spec.subcommands) {
    if (subcommand.name == name) return &subcommand;
  }
  return nullptr;
}

absl::Status NeedsAValue(absl::string_view flag) {
  return absl::InvalidArgumentError(absl::StrCat(flag, " needs a value"));
}

// CLI11 reads "--flag VALUE" only when VALUE does not look like a flag or a
// subcommand to it, and "--flag=" as "--flag" followed by the next argument. Our rule
// is simpler: a value flag takes one non-empty value, separated unless it starts with
// "--". So every value is bound to its flag here, as "--flag=VALUE", before CLI11
// reads the arguments; a flag without a value is refused. Sets parsed->command and
// parsed->subcommand as CLI11 will choose it.
absl::StatusOr<std::vector<std::string>> BindValues(const CommandSpec& spec,
                                                    absl::Span<const std::string> args,
                                                    CommandLine* parsed) {
  std::vector<std::string> bound;
  const CommandSpec* command = &spec;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      bound.insert(bound.end(), args.begin() + i, args.end());
      break;
    }
    if (command == &spec) {
      if (const CommandSpec* subcommand = FindSubcommand(spec, arg)) {
        command = subcommand;
        parsed->subcommand = subcommand->name;
        parsed->command = absl::StrCat(spec.name, " ", subcommand->name);
        bound.push_back(arg);
        continue;
      }
    }
    if (!absl::StartsWith(arg, "--") || arg.size() == 2) {
      bound.push_back(arg);
      continue;
    }
    const size_t equals = arg.find('=');
    const absl::string_view name = absl::string_view(arg).substr(0, equals);
    if (name == kHelpFlag || (name == kVersionFlag && command == &spec)) {
      if (equals != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(name, " takes no value"));
      }
    } else if (FindFlagSpec(*command, name) != nullptr) {
      if (equals == std::string::npos) {
        if (i + 1 == args.size() || args[i + 1].empty() || absl::StartsWith(args[i + 1], "--")) {
          return NeedsAValue(name);
        }
        bound.push_back(absl::StrCat(name, "=", args[++i]));
        continue;
      }
      if (equals + 1 == arg.size()) return NeedsAValue(name);
    }
    bound.push_back(arg);
  }
  return bound;
}

// A command as CLI11 knows it, and what it needs to read the results.
struct CliCommand {
  const CommandSpec* spec = nullptr;
  CLI::App* app = nullptr;
  CLI::Option* help = nullptr;
  CLI::Option* version = nullptr;  // the outermost command's only
  std::vector<std::pair<const FlagSpec*, CLI::Option*>> flags;
  std::vector<std::string> positionals;
};

// Declares `spec` to `app`: every flag takes exactly one value per occurrence and
// keeps every occurrence (repeats are refused after parsing, with our wording);
// what CLI11 does not know is kept as "extras", for our wording too.
void Declare(const CommandSpec& spec, CLI::App* app, bool outermost, CliCommand* command) {
  command->spec = &spec;
  command->app = app;
  app->set_help_flag();
  app->allow_extras();
  command->help = app->add_flag(absl::StrCat("-h,", kHelpFlag));
  if (outermost) command->version = app->add_flag(std::string(kVersionFlag));
  for (const FlagSpec& flag : spec.flags) {
    CLI::Option* option =
        app->add_option(flag.name)->expected(1)->allow_extra_args(false)->multi_option_policy(
            CLI::MultiOptionPolicy::TakeAll);
    if (!flag.env.empty()) option->envname(flag.env);
    command->flags.emplace_back(&flag, option);
  }
  if (spec.takes_positionals) {
    app->add_option(std::string(kPositionals), command->positionals)->allow_extra_args(false);
  }
  if (!spec.subcommands.empty()) app->require_subcommand(0, 1);
}

bool LooksLikeAFlag(absl::string_view arg) {
  return arg.size() > 1 && arg[0] == '-' && !std::isdigit(static_cast<unsigned char>(arg[1]));
}

// The first argument CLI11 could not place, in our words.
absl::Status CheckExtras(const CliCommand& command) {
  for (const std::string& extra : command.app->remaining()) {
    if (extra == "--") continue;
    if (LooksLikeAFlag(extra)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown argument '", extra.substr(0, extra.find('=')), "'"));
    }
    if (!command.spec->subcommands.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown command '", extra, "'"));
    }
    return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", extra, "'"));
  }
  return absl::OkStatus();
}

// How often each flag of `command` was on the command line (a value from the
// environment is not in the parse order).
std::map<const CLI::Option*, int> CommandLineCounts(const CliCommand& command) {
  std::map<const CLI::Option*, int> counts;
  for (const CLI::Option* option : command.app->parse_order()) ++counts[option];
  return counts;
}

absl::Status CheckRepeats(const CliCommand& command) {
  const std::map<const CLI::Option*, int> counts = CommandLineCounts(command);
  for (const CLI::Option* option : command.app->parse_order()) {
    if (counts.at(option) < 2) continue;
    for (const auto& [flag, declared] : command.flags) {
      if (declared == option) {
        return absl::InvalidArgumentError(absl::StrCat(flag->name, " is given more than once"));
      }
    }
  }
  return absl::OkStatus();
}

void ReadResults(const CliCommand& command, CommandLine* parsed) {
  const std::map<const CLI::Option*, int> counts = CommandLineCounts(command);
  for (const auto& [flag, option] : command.flags) {
    if (option->count() == 0) continue;
    const bool given = counts.find(option) != counts.end();
    parsed->values[flag->name] = {option->results().back(), given ? flag->name : flag->env};
  }
  parsed->positionals.insert(parsed->positionals.end(), command.positionals.begin(),
                             command.positionals.end());
  parsed->help = parsed->help || command.help->count() > 0;
  if (command.version != nullptr) parsed->version = command.version->count() > 0;
}

}  // namespace

const std::string* CommandLine::Find(absl::string_view flag) const {
  const auto found = values.find(flag);
  return found == values.end() ? nullptr : &found->second.text;
}

std::string CommandLine::SourceOf(absl::string_view flag) const {
  const auto found = values.find(flag);
  return found == values.end() ? std::string(flag) : found->second.source;
}

absl::Status ParseCommandLine(const CommandSpec& spec, absl::Span<const std::string> args,
                              CommandLine* parsed) {
  *parsed = CommandLine();
  parsed->command = spec.name;
  absl::StatusOr<std::vector<std::string>> bound = BindValues(spec, args, parsed);
  if (!bound.ok()) return bound.status();

  CLI::App app("", spec.name);
  std::vector<std::unique_ptr<CliCommand>> commands;  // the outermost first
  commands.push_back(std::make_unique<CliCommand>());
  Declare(spec, &app, /*outermost=*/true, commands.back().get());
  std::map<const CLI::App*, std::unique_ptr<CliCommand>> subcommands;
  for (const CommandSpec& subcommand : spec.subcommands) {
    CLI::App* sub_app = app.add_subcommand(subcommand.name);
    auto declared = std::make_unique<CliCommand>();
    Declare(subcommand, sub_app, /*outermost=*/false, declared.get());
    subcommands.emplace(sub_app, std::move(declared));
  }

  std::vector<std::string> reversed(bound->rbegin(), bound->rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& error) {
    return absl::InvalidArgumentError(error.what());
  }
  for (CLI::App* chosen : app.get_subcommands()) {
    commands.push_back(std::move(subcommands.at(chosen)));
  }

  for (const auto& command : commands) {
    absl::Status extras = CheckExtras(*command);
    if (!extras.ok()) return extras;
  }
  for (const auto& command : commands) {
    absl::Status repeats = CheckRepeats(*command);
    if (!repeats.ok()) return repeats;
  }
  for (const auto& command : commands) ReadResults(*command, parsed);
  if (!spec.subcommands.empty() && parsed->subcommand.empty() && !parsed->help &&
      !parsed->version) {
    return absl::InvalidArgumentError("missing command");
  }
  return absl::OkStatus();
}

std::string FlagHelpLines(const CommandSpec& spec, bool with_version) {
  std::string lines;
  const auto line = [&lines](absl::string_view left, absl::string_view text) {
    absl::StrAppendFormat(&lines, "  %-26s %s\n", left, text);
  };
  for (const FlagSpec& flag : spec.flags) {
    line(absl::StrCat(flag.name, " ", flag.value_name), flag.help);
    if (!flag.env.empty()) line("", absl::StrCat("[env ", flag.env, "]"));
  }
  if (with_version) line(kVersionFlag, "print the version");
  line(absl::StrCat("-h, ", kHelpFlag), "this text");
  return lines;
}

void PrintDiagnostic(absl::string_view program, absl::string_view kind, absl::string_view message) {
  const std::string line = absl::StrReplaceAll(message, {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
  std::fprintf(stderr, "%s: %s: %s\n", std::string(program).c_str(), std::string(kind).c_str(),
               line.c_str());
}

int ReportUsageError(absl::string_view command, absl::string_view message) {
  const absl::string_view program = command.substr(0, command.find(' '));
  PrintDiagnostic(program, "error", absl::StrCat(message, " (see '", command, " --help')"));
  return kUsageExitCode;
}

int PrintVersion(absl::string_view program) {
  std::printf("%s %s\n", std::string(program).c_str(), std::string(QbakeVersion()).c_str());
  return 0;
}

std::optional<uint64_t> ParseByteSize(absl::string_view text) {
  static constexpr absl::string_view kUnits = "KMGT";
  const std::string upper = absl::AsciiStrToUpper(text);
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
    return std::nullopt;
  }
  return count << shift;
}

}  // namespace qbake
