// `qbake health`: asks a qbake-server for its health through gRPC's standard health
// service and prints the serving status; the exit code says whether it is SERVING.
#ifndef QBAKE_CLI_HEALTH_COMMAND_H_
#define QBAKE_CLI_HEALTH_COMMAND_H_

#include <string>

#include "absl/types/span.h"

namespace qbake {

// The help text of `qbake health`: what it does, every flag, an example, exit codes.
std::string HealthHelp();

// Runs `qbake health ARGS...` (`args` follow "health"); returns the exit code.
int RunHealthCommand(absl::Span<const std::string> args);

}  // namespace qbake

#endif  // QBAKE_CLI_HEALTH_COMMAND_H_
