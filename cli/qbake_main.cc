// The qbake command line: dispatches to its commands and prints the overall help.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "cli/bake_command.h"
#include "cli/command_line.h"
#include "cli/health_command.h"
#include "cli/interrupt_cleanup.h"
#include "common/version.h"

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

int Main(absl::Span<const std::string> args) {
  if (args.empty()) return UsageError("missing command", "qbake");
  const std::string& command = args.front();
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(absl::StrCat(kOverview, BakeHelp(), "\n", HealthHelp()).c_str(), stdout);
    return kExitOk;
  }
  if (command == "--version") {
    std::fputs(absl::StrCat("qbake ", QbakeVersion(), "\n").c_str(), stdout);
    return kExitOk;
  }
  if (command == "bake") return RunBakeCommand(args.subspan(1));
  if (command == "health") return RunHealthCommand(args.subspan(1));
  return UsageError(absl::StrCat("unknown command '", command, "'"), "qbake");
}

}  // namespace
}  // namespace qbake

// Before any thread starts: an interruption, or memory running out (RLIMIT_AS), takes
// back unfinished outputs and ends qbake (see interrupt_cleanup.h).
int main(int argc, char** argv) {
  qbake::InstallInterruptCleanup();
  qbake::ExitCleanlyWhenMemoryRunsOut();
  const std::vector<std::string> args(argv + 1, argv + argc);
  return qbake::Main(args);
}
