// A child process for a test: a program (argv[0], a path: there is no PATH search)
// started with its arguments, with variables added to this process's environment,
// its own working folder and address-space limit when asked; its standard output
// and error inherited, discarded, captured in an unlinked temporary file that can
// be read at any time, or (standard output only) piped to the test. It is
// signalled and awaited, with or without a timeout; the destructor kills (SIGKILL)
// and reaps a child still running. Every string the child needs is built before
// fork, so between fork and exec it makes only async-signal-safe calls (dup2,
// setrlimit, chdir, exec, _exit).
//
// RunProcess runs one to its end with both outputs captured.
#ifndef QBAKE_TESTS_SUPPORT_SUBPROCESS_H_
#define QBAKE_TESTS_SUPPORT_SUBPROCESS_H_

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace qbake::testing {

// Where a child's standard output or error goes.
enum class Output {
  kInherit,  // this process's
  kDiscard,  // /dev/null
  kCapture,  // a temporary file: Subprocess::Stdout() and Stderr()
  kPipe,     // a pipe whose read end is Subprocess::stdout_pipe() (standard output only)
};

struct SubprocessOptions {
  // "NAME=value" entries added to this process's environment, replacing its NAME.
  std::vector<std::string> environment;
  Output stdout_to = Output::kInherit;
  Output stderr_to = Output::kInherit;
  // The child's working folder; "" for this process's.
  std::string working_directory;
  // The child's RLIMIT_AS (soft and hard limit, bytes), set just before exec.
  std::optional<rlim_t> address_space_limit;
  // The child's RLIMIT_FSIZE (soft and hard limit, bytes), set just before exec.
  std::optional<rlim_t> file_size_limit;
};

// How a child ended.
struct ExitStatus {
  int exit_code = -1;  // -1 when it did not exit normally
  int signal = 0;      // the signal that ended it, if one did
};

class Subprocess {
 public:
  // Starts argv[0] with `argv`. A program that cannot be executed exits with code
  // 127; a child that cannot be created fails the test, and pid() is then -1.
  explicit Subprocess(std::vector<std::string> argv, const SubprocessOptions& options = {});
  ~Subprocess();

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `signal` to the child, unless it has been reaped.
  void Signal(int signal);
  // How the child ended, once it ends within `timeout`; nullopt while it runs.
  std::optional<ExitStatus> WaitFor(absl::Duration timeout);
  // How the child ended, waiting as long as it takes.
  ExitStatus Wait();

  // What the child wrote so far on a captured standard output or error; "" when
  // that output is not captured.
  std::string Stdout() const;
  std::string Stderr() const;

  // The read end of a piped standard output; -1 when there is none or it is closed.
  int stdout_pipe() const { return stdout_pipe_; }
  // Closes the pipe's read end (the child's further writes there fail).
  void CloseStdoutPipe();

 private:
  // Reaps the child if it has ended, waiting for that unless `options` is WNOHANG;
  // true once it is reaped.
  bool Reap(int options);

  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;  // set once the child is reaped
  int stdout_pipe_ = -1;
  int stdout_capture_ = -1;  // unlinked temporary files, opened for appending
  int stderr_capture_ = -1;
};

// How a process run to its end ended, and what it wrote.
struct ProcessResult {
  int exit_code = -1;      // -1 when the process did not exit normally
  int signal = 0;          // the signal that ended it, if one did
  bool timed_out = false;  // it outran its timeout and was killed (SIGKILL)
  std::string out;
  std::string err;

  // The lines of stderr (a trailing newline ends the last one).
  std::vector<std::string> ErrLines() const;
};

// Waits up to `timeout` for `process`, whose outputs are captured, killing it
// (SIGKILL) past that; how it ended and what it wrote.
ProcessResult FinishProcess(Subprocess* process, absl::Duration timeout);

// Runs argv[0] with `argv` and `options`, but standard output and error captured,
// killed (SIGKILL) after `timeout`.
ProcessResult RunProcess(std::vector<std::string> argv, absl::Duration timeout,
                         SubprocessOptions options = {});

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_SUBPROCESS_H_
