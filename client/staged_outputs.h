// All-or-nothing output files. Every output is first written under a temporary name
// in its destination's folder; Commit renames them all into place. Until Commit
// nothing at a destination changes, and whatever was staged but not committed
// (temporaries, and folders created for them) is removed on destruction.
#ifndef QBAKE_CLIENT_STAGED_OUTPUTS_H_
#define QBAKE_CLIENT_STAGED_OUTPUTS_H_

#include <filesystem>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qbake {

class StagedOutputs {
 public:
  StagedOutputs() = default;
  StagedOutputs(const StagedOutputs&) = delete;
  StagedOutputs& operator=(const StagedOutputs&) = delete;
  ~StagedOutputs();

  // Creates an empty temporary for `destination`, creating missing folders, and
  // returns its path for the caller to fill. Fails when `destination` is a folder or
  // is already staged (two outputs must not land on one file).
  absl::StatusOr<std::filesystem::path> Stage(const std::filesystem::path& destination);

  // Stage, then write `bytes` to the temporary.
  absl::Status StageBytes(const std::filesystem::path& destination, absl::string_view bytes);

  // Renames every temporary onto its destination in staging order, with the
  // permissions of a newly created file (0666 less the umask). A rename that fails
  // stops the commit; outputs renamed before it stay (same-folder renames rarely fail).
  absl::Status Commit();

 private:
  struct Entry {
    std::filesystem::path destination;
    std::filesystem::path identity;   // absolute, symlinks resolved: detects duplicates
    std::filesystem::path temporary;  // empty once committed
  };

  absl::Status CreateMissingFolders(const std::filesystem::path& folder);

  std::vector<Entry> entries_;
  std::vector<std::filesystem::path> created_folders_;  // parents before children
};

}  // namespace qbake

#endif  // QBAKE_CLIENT_STAGED_OUTPUTS_H_
