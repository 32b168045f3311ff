// Files a command has made but not yet finished (temporaries, backups, folders made
// for them) must not outlive it when it is interrupted or runs out of memory.
// InstallInterruptCleanup starts a thread that waits for SIGINT, SIGTERM and SIGHUP;
// on one it removes every listed path (newest first) and ends the process by that
// signal, as if it had not been caught. ExitCleanlyWhenMemoryRunsOut does the same
// when an allocation fails. All functions are thread-safe.
#ifndef QBAKE_CLI_INTERRUPT_CLEANUP_H_
#define QBAKE_CLI_INTERRUPT_CLEANUP_H_

#include <filesystem>
#include <mutex>

namespace qbake {

// Blocks the three signals in the calling thread, and so in every thread it starts
// afterwards, and starts the waiting thread. Call once, first thing in main, before
// any other thread exists. Without it the list is kept but nothing waits.
void InstallInterruptCleanup();

// Makes a failed allocation (operator new, as under RLIMIT_AS) on any thread end
// the process as an error: the listed paths removed, "PROGRAM: error: out of
// memory: ..." on stderr, exit status 1. Nothing unwinds: gRPC's threads may hold
// locks that destructors on the way would wait for forever.
void ExitCleanlyWhenMemoryRunsOut();

// Lists `path` (a file, or an empty folder) for removal on interruption.
void RemoveOnInterrupt(const std::filesystem::path& path);

// Takes `path` off the list (it was renamed into place, or removed).
void KeepOnInterrupt(const std::filesystem::path& path);

// While one lives, an interruption waits: a commit runs to its end or rolls back
// whole before anything is removed.
class InterruptCleanupHold {
 public:
  InterruptCleanupHold();
  InterruptCleanupHold(const InterruptCleanupHold&) = delete;
  InterruptCleanupHold& operator=(const InterruptCleanupHold&) = delete;

 private:
  std::lock_guard<std::recursive_mutex> lock_;
};

}  // namespace qbake

#endif  // QBAKE_CLI_INTERRUPT_CLEANUP_H_
