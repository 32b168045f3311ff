// `qbake bake`: its flags and help, and the bake itself: read the model (with its
// external data) and the PPQ config document, bake through a ModelBaker, then write
// the baked model, the updated config and the optional report all together or not
// at all, and print a short summary.
#ifndef QBAKE_CLI_BAKE_COMMAND_H_
#define QBAKE_CLI_BAKE_COMMAND_H_

#include <string>

#include "absl/types/span.h"

namespace qbake {

// The help text of `qbake bake`: what it does, every flag, an example, exit codes.
std::string BakeHelp();

// Runs `qbake bake ARGS...` (`args` follow "bake"); returns the exit code.
int RunBakeCommand(absl::Span<const std::string> args);

}  // namespace qbake

#endif  // QBAKE_CLI_BAKE_COMMAND_H_
