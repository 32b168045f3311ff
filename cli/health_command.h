// `qbake health`: asks a qbake-server for its health through gRPC's standard health
// service and prints the serving status; the exit code says whether it is SERVING.
#ifndef QBAKE_CLI_HEALTH_COMMAND_H_
#define QBAKE_CLI_HEALTH_COMMAND_H_

#include <string>

#include "common/command_line_flags.h"

namespace qbake {

// The help text of `qbake health`: what it does, every flag, an example, exit codes.
std::string HealthHelp();

// The command line of `qbake health` (common/command_line_flags.h).
CommandSpec HealthCommandSpec();

// Runs `qbake health` as `command_line` (which chose it) asks; returns the exit code.
int RunHealthCommand(const CommandLine& command_line);

}  // namespace qbake

#endif  // QBAKE_CLI_HEALTH_COMMAND_H_
