#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

extern char** environ;

namespace qbake::testing {
namespace {

// This process's environment with `additions` ("NAME=value") replacing their NAMEs.
std::vector<std::string> ChildEnvironment(const std::vector<std::string>& additions) {
  std::vector<std::string> variables;
  for (char** variable = environ; *variable != nullptr; ++variable)
    variables.emplace_back(*variable);
  for (const std::string& addition : additions) {
    const std::string prefix = addition.substr(0, addition.find('=') + 1);  // "NAME="
    variables.erase(std::remove_if(variables.begin(), variables.end(),
                                   [&prefix](const std::string& variable) {
                                     return absl::StartsWith(variable, prefix);
                                   }),
                    variables.end());
    variables.push_back(addition);
  }
  return variables;
}

// The null-terminated array of `strings` for execve.
std::vector<char*> Pointers(std::vector<std::string>* strings) {
  std::vector<char*> pointers;
  for (std::string& string : *strings) pointers.push_back(string.data());
  pointers.push_back(nullptr);
  return pointers;
}

// An unlinked temporary file opened for appending, so the child's writes land at
// its end whatever the parent reads; -1 (and the test failed) when it cannot be made.
int NewCaptureFile() {
  char path[] = "/tmp/qbake_subprocess_output_XXXXXX";
  const int fd = mkostemp(path, O_APPEND | O_CLOEXEC);
  EXPECT_GE(fd, 0) << "cannot create " << path << ": " << std::strerror(errno);
  if (fd >= 0) unlink(path);
  return fd;
}

// Everything in `fd` from its start; "" for -1.
std::string ReadWhole(int fd) {
  std::string text;
  if (fd < 0) return text;
  char buffer[4096];
  for (ssize_t n; (n = pread(fd, buffer, sizeof buffer, static_cast<off_t>(text.size()))) > 0;) {
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace

Subprocess::Subprocess(std::vector<std::string> argv, const SubprocessOptions& options) {
  std::vector<std::string> environment = ChildEnvironment(options.environment);
  const std::vector<char*> argv_pointers = Pointers(&argv);
  const std::vector<char*> environment_pointers = Pointers(&environment);
  const char* const directory =
      options.working_directory.empty() ? nullptr : options.working_directory.c_str();
  rlimit address_space = {};
  if (options.address_space_limit.has_value()) {
    address_space = {*options.address_space_limit, *options.address_space_limit};
  }
  rlimit file_size = {};
  if (options.file_size_limit.has_value()) {
    file_size = {*options.file_size_limit, *options.file_size_limit};
  }
  // The descriptors the child's standard output and error become (-1: inherited),
  // and those only the child needs, closed here once it is started.
  int child_stdout = -1;
  int child_stderr = -1;
  std::vector<int> child_only;
  const auto redirect = [&](Output output, bool is_stdout, int* child_fd) {
    switch (output) {
      case Output::kInherit:
        return;
      case Output::kDiscard:
        *child_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        EXPECT_GE(*child_fd, 0) << "cannot open /dev/null: " << std::strerror(errno);
        child_only.push_back(*child_fd);
        return;
      case Output::kCapture:
        *child_fd = NewCaptureFile();
        (is_stdout ? stdout_capture_ : stderr_capture_) = *child_fd;
        return;
      case Output::kPipe: {
        int ends[2] = {-1, -1};
        if (!is_stdout) {
          ADD_FAILURE() << "only standard output is piped";
        } else if (pipe2(ends, O_CLOEXEC) != 0) {
          ADD_FAILURE() << "cannot make a pipe: " << std::strerror(errno);
        } else {
          stdout_pipe_ = ends[0];
          *child_fd = ends[1];
          child_only.push_back(ends[1]);
        }
        return;
      }
    }
  };
  redirect(options.stdout_to, /*is_stdout=*/true, &child_stdout);
  redirect(options.stderr_to, /*is_stdout=*/false, &child_stderr);

  std::fflush(nullptr);  // nothing buffered here is written twice
  pid_ = fork();
  if (pid_ == 0) {
    if (child_stdout >= 0 && dup2(child_stdout, STDOUT_FILENO) < 0) _exit(127);
    if (child_stderr >= 0 && dup2(child_stderr, STDERR_FILENO) < 0) _exit(127);
    if (options.address_space_limit.has_value() && setrlimit(RLIMIT_AS, &address_space) != 0) {
      _exit(127);
    }
    if (options.file_size_limit.has_value() && setrlimit(RLIMIT_FSIZE, &file_size) != 0) {
      _exit(127);
    }
    if (directory != nullptr && chdir(directory) != 0) _exit(127);
    execve(argv_pointers[0], argv_pointers.data(), environment_pointers.data());
    _exit(127);
  }
  const int fork_error = errno;
  for (const int fd : child_only) close(fd);
  if (pid_ < 0) {
    ADD_FAILURE() << "cannot start " << argv[0] << ": " << std::strerror(fork_error);
    status_ = ExitStatus();
  }
}

Subprocess::~Subprocess() {
  if (!status_.has_value()) {
    Signal(SIGKILL);
    Reap(0);
  }
  for (const int fd : {stdout_pipe_, stdout_capture_, stderr_capture_}) {
    if (fd >= 0) close(fd);
  }
}

void Subprocess::Signal(int signal) {
  if (pid_ > 0 && !status_.has_value()) kill(pid_, signal);
}

bool Subprocess::Reap(int options) {
  while (!status_.has_value()) {
    int status = 0;
    const pid_t waited = waitpid(pid_, &status, options);
    if (waited == 0) return false;
    if (waited == pid_) {
      status_ = ExitStatus{WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                           WIFSIGNALED(status) ? WTERMSIG(status) : 0};
    } else if (errno != EINTR) {
      ADD_FAILURE() << "cannot wait for process " << pid_ << ": " << std::strerror(errno);
      status_ = ExitStatus();
    }
  }
  return true;
}

std::optional<ExitStatus> Subprocess::WaitFor(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!Reap(WNOHANG)) {
    if (absl::Now() > deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return status_;
}

ExitStatus Subprocess::Wait() {
  Reap(0);
  return *status_;
}

std::string Subprocess::Stdout() const { return ReadWhole(stdout_capture_); }

std::string Subprocess::Stderr() const { return ReadWhole(stderr_capture_); }

void Subprocess::CloseStdoutPipe() {
  if (stdout_pipe_ >= 0) close(stdout_pipe_);
  stdout_pipe_ = -1;
}

std::vector<std::string> ProcessResult::ErrLines() const {
  return absl::StrSplit(absl::StripSuffix(err, "\n"), '\n', absl::SkipEmpty());
}

ProcessResult FinishProcess(Subprocess* process, absl::Duration timeout) {
  ProcessResult result;
  std::optional<ExitStatus> status = process->WaitFor(timeout);
  if (!status.has_value()) {
    result.timed_out = true;
    process->Signal(SIGKILL);
    status = process->Wait();
  }
  result.exit_code = status->exit_code;
  result.signal = status->signal;
  result.out = process->Stdout();
  result.err = process->Stderr();
  return result;
}

ProcessResult RunProcess(std::vector<std::string> argv, absl::Duration timeout,
                         SubprocessOptions options) {
  options.stdout_to = Output::kCapture;
  options.stderr_to = Output::kCapture;
  Subprocess process(std::move(argv), options);
  return FinishProcess(&process, timeout);
}

}  // namespace qbake::testing
