#include "tests/support/server_process.h"

#include <poll.h>
#include <unistd.h>

#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace qbake::testing {
namespace {

// `program`, then `args`: a command line.
std::vector<std::string> CommandLine(const std::string& program, std::vector<std::string> args) {
  args.insert(args.begin(), program);
  return args;
}

SubprocessOptions ChildOptions(Output stdout_to, std::vector<std::string> environment) {
  SubprocessOptions options;
  options.environment = std::move(environment);
  options.stdout_to = stdout_to;
  options.stderr_to = Output::kCapture;
  return options;
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> args)
    : process_(CommandLine(QBAKE_SERVER_PATH, std::move(args)), ChildOptions(Output::kPipe, {})) {
  ReadFirstLine();
}

ServerProcess::ServerProcess(const std::string& program, std::vector<std::string> args,
                             std::vector<std::string> environment)
    : process_(CommandLine(program, std::move(args)),
               ChildOptions(Output::kDiscard, std::move(environment))) {}

void ServerProcess::ReadFirstLine() {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  char c = 0;
  while (absl::Now() < deadline) {
    pollfd readable = {process_.stdout_pipe(), POLLIN, 0};
    if (poll(&readable, 1, 100) <= 0) continue;
    if (read(process_.stdout_pipe(), &c, 1) != 1 || c == '\n') break;
    first_line_.push_back(c);
  }
  process_.CloseStdoutPipe();
  absl::string_view address = first_line_;
  if (absl::ConsumePrefix(&address, "qbake-server listening on ")) {
    address = address.substr(0, address.find(','));
    if (!absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port_)) port_ = 0;
  }
}

std::string ServerProcess::AddressAfter(const std::string& label) const {
  const size_t start = first_line_.find(label);
  if (start == std::string::npos) return "";
  const std::string rest = first_line_.substr(start + label.size());
  return rest.substr(0, rest.find_first_of(",/"));
}

int ServerProcess::WaitForExit(absl::Duration timeout) {
  const std::optional<ExitStatus> status = process_.WaitFor(timeout);
  return status.has_value() ? status->exit_code : -1;
}

}  // namespace qbake::testing
