// A server run as a child process, the built qbake-server or another (the front
// proxy): started with arguments, signalled and awaited. For qbake-server its first
// line of stdout is read (the port comes from "qbake-server listening on HOST:PORT").
// The destructor kills a child still running.
#ifndef QBAKE_TESTS_SUPPORT_SERVER_PROCESS_H_
#define QBAKE_TESTS_SUPPORT_SERVER_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace qbake::testing {

class ServerProcess {
 public:
  // Starts QBAKE_SERVER_PATH with `args` and waits up to 20 s for its first line.
  explicit ServerProcess(std::vector<std::string> args);
  // Starts `program` with `args`, and `environment` ("NAME=value") added to this
  // process's, without waiting for it to print anything.
  ServerProcess(const std::string& program, std::vector<std::string> args,
                const std::vector<std::string>& environment);
  ~ServerProcess();

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& first_line() const { return first_line_; }
  // The child's process id (for /proc/PID/status).
  pid_t pid() const { return pid_; }
  // The port from the listening line; 0 when the first line is not one.
  int port() const { return port_; }
  // "HOST:PORT" of the health and metrics ports the listening line names; "" when
  // it names none.
  std::string health_address() const { return AddressAfter(", health on "); }
  std::string metrics_address() const { return AddressAfter(", metrics on http://"); }
  void Signal(int signal);
  // The exit code once the process exits within `timeout`; -1 when it did not exit
  // normally in time.
  int WaitForExit(absl::Duration timeout);
  // Everything the process wrote on stderr so far.
  std::string Stderr() const;

 private:
  // Forks and executes `program`; the read end of the child's stdout.
  int Start(const std::string& program, std::vector<std::string> args,
            const std::vector<std::string>& environment);
  void ReadFirstLine(int stdout_fd);
  std::string AddressAfter(const std::string& label) const;

  pid_t pid_ = -1;
  bool exited_ = false;
  std::string first_line_;
  int port_ = 0;
  int stderr_fd_ = -1;  // an unlinked temporary file, opened for appending
};

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_SERVER_PROCESS_H_
