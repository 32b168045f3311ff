// `qbake bake`: its flags and help, and the bake itself: read the model (with its
// external data) and the PPQ config document, bake through a ModelBaker, then write
// the baked model, the updated config and the optional report all together or not
// at all, and print a short summary.
#ifndef QBAKE_CLI_BAKE_COMMAND_H_
#define QBAKE_CLI_BAKE_COMMAND_H_

#include <string>

#include "common/command_line_flags.h"

namespace qbake {

// The help text of `qbake bake`: what it does, every flag, an example, exit codes.
std::string BakeHelp();

// The command line of `qbake bake` (common/command_line_flags.h).
CommandSpec BakeCommandSpec();

// Runs `qbake bake` as `command_line` (which chose it) asks; returns the exit code.
int RunBakeCommand(const CommandLine& command_line);

}  // namespace qbake

#endif  // QBAKE_CLI_BAKE_COMMAND_H_
