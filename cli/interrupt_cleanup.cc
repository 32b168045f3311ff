#include "cli/interrupt_cleanup.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace qbake {
namespace {

// The list and the lock that guards it (recursive: a hold may list paths).
struct CleanupList {
  std::recursive_mutex mutex;
  std::vector<std::string> paths;  // guarded by mutex
};

CleanupList& List() {
  static CleanupList* list = new CleanupList();
  return *list;
}

sigset_t InterruptSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  for (int interrupt : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&signals, interrupt);
  return signals;
}

void RemoveListed() {
  CleanupList& list = List();
  std::lock_guard<std::recursive_mutex> lock(list.mutex);
  for (auto path = list.paths.rbegin(); path != list.paths.rend(); ++path) {
    if (unlink(path->c_str()) != 0 && (errno == EISDIR || errno == EPERM)) rmdir(path->c_str());
  }
  list.paths.clear();
}

[[noreturn]] void WaitAndCleanUp(sigset_t signals) {
  int caught = 0;
  while (sigwait(&signals, &caught) != 0) {
  }
  RemoveListed();
  ::signal(caught, SIG_DFL);
  sigset_t just_this;
  sigemptyset(&just_this);
  sigaddset(&just_this, caught);
  pthread_sigmask(SIG_UNBLOCK, &just_this, nullptr);
  raise(caught);
  _exit(128 + caught);  // not reached: the default action ends the process
}

// Writes with no allocation: memory has run out. Any thread may get here, several
// at once: each removes what is still listed (under the list's lock, which a thread
// that holds it takes again), one prints the line.
void OutOfMemoryExit() {
  static std::atomic<bool> reported{false};
  RemoveListed();
  static constexpr char kMessage[] =
      "qbake: error: out of memory: the bake needs more memory than this process may use\n";
  if (!reported.exchange(true)) {
    const ssize_t written = write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
    static_cast<void>(written);  // nothing else to tell: the exit status says it failed
  }
  _exit(1);
}

}  // namespace

void ExitCleanlyWhenMemoryRunsOut() { std::set_new_handler(OutOfMemoryExit); }

void InstallInterruptCleanup() {
  const sigset_t signals = InterruptSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread(WaitAndCleanUp, signals).detach();
}

void RemoveOnInterrupt(const std::filesystem::path& path) {
  CleanupList& list = List();
  std::lock_guard<std::recursive_mutex> lock(list.mutex);
  list.paths.push_back(path.string());
}

void KeepOnInterrupt(const std::filesystem::path& path) {
  CleanupList& list = List();
  std::lock_guard<std::recursive_mutex> lock(list.mutex);
  list.paths.erase(std::remove(list.paths.begin(), list.paths.end(), path.string()),
                   list.paths.end());
}

InterruptCleanupHold::InterruptCleanupHold() : lock_(List().mutex) {}

}  // namespace qbake
