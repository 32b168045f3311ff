// All-or-nothing output files. Every output is first written to a temporary in its
// destination's folder; Commit moves them all into place, or none. Until Commit
// nothing at a destination changes, and whatever was staged but not committed
// (temporaries, folders made for them) is removed on destruction or interruption
// (interrupt_cleanup.h). A temporary has no name until Commit (O_TMPFILE, where
// the filesystem has it), so even a process killed by SIGKILL leaves none; Commit
// gives each a hidden name just before moving it into place.
//
// An output replaces only a regular file, never a symbolic link, device, FIFO,
// socket or folder, and never a file protected as an input of the same command
// (by identity: another name or a hard link of the input is the input).
//
// Commit, for each output in staging order: when its destination exists, hard-links
// it to a backup name first; then renames the temporary onto the destination (one
// atomic replacement: a reader sees the old file or the new one). When any step
// fails, the outputs already moved are taken back (a backup renamed onto its
// destination, a new file removed), so the destinations hold what they held before.
// The backups are removed once all are in place.
//
// Not thread-safe.
#ifndef QBAKE_CLI_STAGED_OUTPUTS_H_
#define QBAKE_CLI_STAGED_OUTPUTS_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/regular_file.h"
#include "common/unique_fd.h"

namespace qbake {

// The filesystem steps of a commit, one call each; each returns 0 or an errno
// value. Tests make any one of them fail.
class CommitSteps {
 public:
  virtual ~CommitSteps() = default;
  virtual int Link(int folder, const std::string& from, const std::string& to);
  virtual int Rename(int folder, const std::string& from, const std::string& to);
  virtual int Remove(int folder, const std::string& name);
};

// Writes all of `bytes` at `offset` of the open file `fd` (a staged temporary);
// errors name `path`.
absl::Status WriteAt(int fd, absl::string_view bytes, int64_t offset,
                     const std::filesystem::path& path);

class StagedOutputs {
 public:
  // `steps` (the system's when null) must outlive this object.
  explicit StagedOutputs(CommitSteps* steps = nullptr);
  StagedOutputs(const StagedOutputs&) = delete;
  StagedOutputs& operator=(const StagedOutputs&) = delete;
  ~StagedOutputs();

  // No output may replace `input`; `what` names it in the error ("the model 'm.onnx'").
  void ProtectInput(FileIdentity input, std::string what);

  // Creates an empty temporary for `destination`, creating missing folders (the
  // destination's own path may pass symbolic links: the caller named it), and
  // returns its descriptor for the caller to fill. Fails when the destination is no
  // regular file, is a protected input, or is already staged.
  absl::StatusOr<int> Stage(const std::filesystem::path& destination);

  // Stage for the file `location` names beneath `folder` (see FindBeneath: no
  // symbolic link on the way; missing folders are made, `folder` too).
  absl::StatusOr<int> StageBeneath(const std::filesystem::path& folder, absl::string_view location);

  // Stage, then write `bytes` to the temporary.
  absl::Status StageBytes(const std::filesystem::path& destination, absl::string_view bytes);

  // Moves every temporary into place, all or none (see above). Call once.
  absl::Status Commit();

 private:
  struct Entry {
    UniqueFd folder;
    std::string name;
    std::filesystem::path destination;  // for messages
    std::filesystem::path folder_path;  // for the interruption list
    std::string temporary;              // empty while unnamed, and once moved into place
    std::string backup;                 // the old file's second name while committing
    UniqueFd file;
    FileIdentity folder_identity;  // with `name`: detects one destination staged twice
  };

  absl::StatusOr<int> StageAt(UniqueFd folder, std::string name, std::filesystem::path destination);
  // Whether the destination exists; an error when it may not be replaced.
  absl::StatusOr<bool> CheckDestination(const Entry& entry) const;
  absl::Status CommitOne(Entry* entry);
  std::string RollBack(size_t count);
  void RemoveBackup(Entry* entry);
  absl::Status CreateMissingFolders(const std::filesystem::path& folder);

  CommitSteps* steps_;
  std::map<FileIdentity, std::string> inputs_;
  std::vector<Entry> entries_;
  std::vector<std::filesystem::path> created_folders_;  // parents before children
};

}  // namespace qbake

#endif  // QBAKE_CLI_STAGED_OUTPUTS_H_
