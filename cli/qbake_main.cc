// The qbake command line: dispatches to its commands and prints the overall help.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "cli/bake_command.h"
#include "cli/command_line.h"
#include "cli/health_command.h"
#include "cli/interrupt_cleanup.h"
#include "common/allocator_settings.h"
#include "common/command_line_flags.h"

namespace qbake {
namespace {

constexpr absl::string_view kOverview =
    R"(qbake - bakes quantized neural-network parameters bit-exactly like PPQ

Usage:
  qbake bake MODEL.onnx --config CONFIG.json --output OUT.onnx [flags]
  qbake health --server HOST:PORT [flags]
  qbake --help
  qbake --version

Commands:
  bake    bake a model's parameters with its PPQ config document, here or on a
          qbake-server
  health  ask a qbake-server whether it is serving

)";

// "qbake help" is "qbake --help".
constexpr absl::string_view kHelpCommand = "help";

CommandSpec QbakeCommandSpec() {
  return {"qbake",
          {},
          /*takes_positionals=*/false,
          {BakeCommandSpec(), HealthCommandSpec(), {std::string(kHelpCommand)}}};
}

int Main(absl::Span<const std::string> args) {
  CommandLine command_line;
  absl::Status parsed = ParseCommandLine(QbakeCommandSpec(), args, &command_line);
  if (!parsed.ok()) return ReportUsageError(command_line.command, parsed.message());
  if (command_line.version) return PrintVersion("qbake");
  if (command_line.subcommand == "bake") return RunBakeCommand(command_line);
  if (command_line.subcommand == "health") return RunHealthCommand(command_line);
  std::fputs(absl::StrCat(kOverview, BakeHelp(), "\n", HealthHelp()).c_str(), stdout);
  return kExitOk;
}

}  // namespace
}  // namespace qbake

// Before any thread starts: one allocator arena (common/allocator_settings.h), and an
// interruption, or memory running out (RLIMIT_AS), takes back unfinished outputs and
// ends qbake (see interrupt_cleanup.h). A write past the file size limit
// (RLIMIT_FSIZE) fails with EFBIG, an error naming the file, instead of raising
// SIGXFSZ, which would end qbake with a core dump.
int main(int argc, char** argv) {
  qbake::LimitAllocatorArenas(qbake::kClientArenas);
  std::signal(SIGXFSZ, SIG_IGN);
  qbake::InstallInterruptCleanup();
  qbake::ExitCleanlyWhenMemoryRunsOut();
  const std::vector<std::string> args(argv + 1, argv + argc);
  return qbake::Main(args);
}
