#include "tests/support/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace qbake::testing {

ServerProcess::ServerProcess(std::vector<std::string> args) {
  const int stdout_fd = Start(QBAKE_SERVER_PATH, std::move(args), {});
  ReadFirstLine(stdout_fd);
  close(stdout_fd);
}

ServerProcess::ServerProcess(const std::string& program, std::vector<std::string> args,
                             const std::vector<std::string>& environment) {
  close(Start(program, std::move(args), environment));
}

int ServerProcess::Start(const std::string& program, std::vector<std::string> args,
                         const std::vector<std::string>& environment) {
  int out[2];
  EXPECT_EQ(pipe(out), 0);
  char stderr_path[] = "/tmp/qbake_server_stderr_XXXXXX";
  stderr_fd_ = mkstemp(stderr_path);
  EXPECT_GE(stderr_fd_, 0);
  unlink(stderr_path);
  // Appending: the child's writes land at the end whatever the parent reads.
  fcntl(stderr_fd_, F_SETFL, O_APPEND);
  std::vector<char*> argv = {const_cast<char*>(program.c_str())};
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> variables = environment;
  std::fflush(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(stderr_fd_, STDERR_FILENO);
    close(out[0]);
    close(out[1]);
    for (std::string& variable : variables) putenv(variable.data());
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  return out[0];
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

void ServerProcess::ReadFirstLine(int stdout_fd) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  char c = 0;
  while (absl::Now() < deadline) {
    pollfd readable = {stdout_fd, POLLIN, 0};
    if (poll(&readable, 1, 100) <= 0) continue;
    if (read(stdout_fd, &c, 1) != 1 || c == '\n') break;
    first_line_.push_back(c);
  }
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

void ServerProcess::Signal(int signal) { kill(pid_, signal); }

int ServerProcess::WaitForExit(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) return -1;
    absl::SleepFor(absl::Milliseconds(10));
  }
  exited_ = true;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ServerProcess::Stderr() const {
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = pread(stderr_fd_, buffer, sizeof buffer, text.size())) > 0;) {
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace qbake::testing
