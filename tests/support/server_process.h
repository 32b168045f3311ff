// A server run as a child process (a Subprocess), the built qbake-server or another
// (the front proxy): started with arguments, signalled and awaited, its stderr kept.
// For qbake-server its first line of stdout is read (the port comes from
// "qbake-server listening on HOST:PORT"). The destructor kills a child still running.
#ifndef QBAKE_TESTS_SUPPORT_SERVER_PROCESS_H_
#define QBAKE_TESTS_SUPPORT_SERVER_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/support/subprocess.h"

namespace qbake::testing {

class ServerProcess {
 public:
  // Starts QBAKE_SERVER_PATH with `args` and waits up to 20 s for its first line.
  explicit ServerProcess(std::vector<std::string> args);
  // Starts `program` with `args`, and `environment` ("NAME=value") added to this
  // process's, without waiting for it to print anything; its stdout is discarded.
  ServerProcess(const std::string& program, std::vector<std::string> args,
                std::vector<std::string> environment);

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& first_line() const { return first_line_; }
  // The child's process id (for /proc/PID/status).
  pid_t pid() const { return process_.pid(); }
  // The port from the listening line; 0 when the first line is not one.
  int port() const { return port_; }
  // "HOST:PORT" of the health and metrics ports the listening line names; "" when
  // it names none.
  std::string health_address() const { return AddressAfter(", health on "); }
  std::string metrics_address() const { return AddressAfter(", metrics on http://"); }
  void Signal(int signal) { process_.Signal(signal); }
  // The exit code once the process exits within `timeout`; -1 when it did not exit
  // normally in time.
  int WaitForExit(absl::Duration timeout);
  // Everything the process wrote on stderr so far.
  std::string Stderr() const { return process_.Stderr(); }

 private:
  // Reads the first line of the child's piped stdout, waiting up to 20 s, then
  // closes the pipe.
  void ReadFirstLine();
  std::string AddressAfter(const std::string& label) const;

  Subprocess process_;
  std::string first_line_;
  int port_ = 0;
};

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_SERVER_PROCESS_H_
