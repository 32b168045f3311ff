#include "cli/staged_outputs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/interrupt_cleanup.h"
#include "common/beneath_folder.h"
#include "common/file_error.h"
#include "core/error_detail.h"

namespace qbake {
namespace {

namespace fs = std::filesystem;

mode_t NewFileMode() {
  const mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

// ".NAME.qbake-XXXXXX" with six random letters and digits.
std::string HiddenName(const std::string& name) {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::string hidden = absl::StrCat(".", name, ".qbake-");
  for (int i = 0; i < 6; ++i) hidden += kAlphabet[random() % (sizeof(kAlphabet) - 1)];
  return hidden;
}

// An unnamed file in `folder` (O_TMPFILE): it vanishes with its last descriptor,
// whatever ends the process, even SIGKILL. Invalid where the filesystem makes none,
// or where /proc, through which NameUnnamed names it, is missing.
UniqueFd OpenUnnamed(int folder) {
  if (access("/proc/self/fd", X_OK) != 0) return UniqueFd();
  return UniqueFd(openat(folder, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
}

// Gives the unnamed `file` a hidden name for `name` in `folder`, put into
// `temporary`: 0 or an errno value.
int NameUnnamed(int file, int folder, const std::string& name, std::string* temporary) {
  const std::string self = absl::StrCat("/proc/self/fd/", file);
  for (;;) {
    *temporary = HiddenName(name);
    if (linkat(AT_FDCWD, self.c_str(), folder, temporary->c_str(), AT_SYMLINK_FOLLOW) == 0) {
      return 0;
    }
    if (errno != EEXIST) {
      const int error = errno;
      temporary->clear();
      return error;
    }
  }
}

absl::Status NotReplaceable(const fs::path& destination, absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("cannot write '", destination.string(), "': it is ", why,
                   "; an output may replace only a regular file that is no input"));
}

}  // namespace

absl::Status WriteAt(int fd, absl::string_view bytes, int64_t offset, const fs::path& path) {
  while (!bytes.empty()) {
    const ssize_t written = pwrite(fd, bytes.data(), bytes.size(), offset);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return FileError("write", path, errno);
    bytes.remove_prefix(static_cast<size_t>(written));
    offset += written;
  }
  return absl::OkStatus();
}

int CommitSteps::Link(int folder, const std::string& from, const std::string& to) {
  return linkat(folder, from.c_str(), folder, to.c_str(), 0) == 0 ? 0 : errno;
}

int CommitSteps::Rename(int folder, const std::string& from, const std::string& to) {
  return renameat(folder, from.c_str(), folder, to.c_str()) == 0 ? 0 : errno;
}

int CommitSteps::Remove(int folder, const std::string& name) {
  return unlinkat(folder, name.c_str(), 0) == 0 ? 0 : errno;
}

StagedOutputs::StagedOutputs(CommitSteps* steps) : steps_(steps) {
  static CommitSteps* system_steps = new CommitSteps();
  if (steps_ == nullptr) steps_ = system_steps;
}

StagedOutputs::~StagedOutputs() {
  InterruptCleanupHold hold;
  for (Entry& entry : entries_) {
    if (entry.temporary.empty()) continue;
    unlinkat(entry.folder.get(), entry.temporary.c_str(), 0);
    KeepOnInterrupt(entry.folder_path / entry.temporary);
  }
  for (auto folder = created_folders_.rbegin(); folder != created_folders_.rend(); ++folder) {
    rmdir(folder->c_str());
    KeepOnInterrupt(*folder);
  }
}

void StagedOutputs::ProtectInput(FileIdentity input, std::string what) {
  inputs_.emplace(input, std::move(what));
}

absl::Status StagedOutputs::CreateMissingFolders(const fs::path& folder) {
  std::error_code error;
  if (folder.empty() || fs::exists(folder, error)) return absl::OkStatus();
  if (folder.has_parent_path() && folder.parent_path() != folder) {
    absl::Status parent = CreateMissingFolders(folder.parent_path());
    if (!parent.ok()) return parent;
  }
  const bool created = fs::create_directory(folder, error);
  if (error) return FileError("create folder", folder, error.value());
  if (created) {
    created_folders_.push_back(folder);
    RemoveOnInterrupt(folder);
  }
  return absl::OkStatus();
}

// Stage, StageBeneath and the destructor hold off interruptions while they create or
// remove files, so that each file is listed for removal exactly while it exists.
absl::StatusOr<int> StagedOutputs::Stage(const fs::path& destination) {
  InterruptCleanupHold hold;
  if (!destination.has_filename()) return FileError("write", destination, EISDIR);
  const fs::path folder_path = FolderOf(destination);
  absl::Status folders = CreateMissingFolders(folder_path);
  if (!folders.ok()) return folders;
  absl::StatusOr<UniqueFd> folder = OpenFolder(folder_path);
  if (!folder.ok()) return folder.status();
  return StageAt(*std::move(folder), destination.filename().string(), destination);
}

absl::StatusOr<int> StagedOutputs::StageBeneath(const fs::path& folder,
                                                absl::string_view location) {
  InterruptCleanupHold hold;
  absl::Status folders = CreateMissingFolders(folder);
  if (!folders.ok()) return folders;
  absl::StatusOr<PlaceBeneath> place = FindBeneath(folder, location, /*create_missing=*/true);
  if (!place.ok()) return place.status();
  for (const fs::path& created : place->created_folders) {
    created_folders_.push_back(created);
    RemoveOnInterrupt(created);
  }
  return StageAt(std::move(place->folder), place->name, place->path);
}

absl::StatusOr<bool> StagedOutputs::CheckDestination(const Entry& entry) const {
  struct stat info;
  if (fstatat(entry.folder.get(), entry.name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return false;
    return FileError("stat", entry.destination, errno);
  }
  if (!S_ISREG(info.st_mode))
    return NotReplaceable(entry.destination, DescribeFileKind(info.st_mode));
  const auto input = inputs_.find({info.st_dev, info.st_ino});
  if (input != inputs_.end()) return NotReplaceable(entry.destination, input->second);
  return true;
}

absl::StatusOr<int> StagedOutputs::StageAt(UniqueFd folder, std::string name,
                                           fs::path destination) {
  Entry entry{std::move(folder), std::move(name), std::move(destination), {}, {}, {}, {}, {}};
  entry.folder_path = FolderOf(entry.destination);
  absl::StatusOr<bool> replaceable = CheckDestination(entry);
  if (!replaceable.ok()) return replaceable.status();
  struct stat folder_info;
  if (fstat(entry.folder.get(), &folder_info) != 0) {
    return FileError("stat", entry.folder_path, errno);
  }
  entry.folder_identity = {folder_info.st_dev, folder_info.st_ino};
  for (const Entry& other : entries_) {
    if (other.name == entry.name && other.folder_identity == entry.folder_identity) {
      return absl::InvalidArgumentError(
          absl::StrCat("two outputs would be written to '", entry.destination.string(), "'"));
    }
  }
  entry.file = OpenUnnamed(entry.folder.get());
  if (!entry.file.valid()) {
    do {
      entry.temporary = HiddenName(entry.name);
      entry.file = UniqueFd(openat(entry.folder.get(), entry.temporary.c_str(),
                                   O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    } while (!entry.file.valid() && errno == EEXIST);
    if (!entry.file.valid()) {
      return FileError("create a temporary file for", entry.destination, errno);
    }
    RemoveOnInterrupt(entry.folder_path / entry.temporary);
  }
  entries_.push_back(std::move(entry));
  Entry& staged = entries_.back();
  if (fchmod(staged.file.get(), NewFileMode()) != 0) {
    return FileError("set permissions of", staged.destination, errno);
  }
  return staged.file.get();
}

absl::Status StagedOutputs::StageBytes(const fs::path& destination, absl::string_view bytes) {
  absl::StatusOr<int> fd = Stage(destination);
  if (!fd.ok()) return fd.status();
  return WriteAt(*fd, bytes, 0, destination);
}

absl::Status StagedOutputs::CommitOne(Entry* entry) {
  absl::StatusOr<bool> exists = CheckDestination(*entry);
  if (!exists.ok()) return exists.status();
  if (entry->temporary.empty()) {
    const int named =
        NameUnnamed(entry->file.get(), entry->folder.get(), entry->name, &entry->temporary);
    if (named != 0) return FileError("name the temporary file for", entry->destination, named);
    RemoveOnInterrupt(entry->folder_path / entry->temporary);
  }
  if (*exists) {
    int linked = 0;
    do {
      entry->backup = HiddenName(entry->name);
      linked = steps_->Link(entry->folder.get(), entry->name, entry->backup);
    } while (linked == EEXIST);
    if (linked != 0) {
      entry->backup.clear();
      return FileError("keep the old file while replacing", entry->destination, linked);
    }
    RemoveOnInterrupt(entry->folder_path / entry->backup);
  }
  const int renamed = steps_->Rename(entry->folder.get(), entry->temporary, entry->name);
  if (renamed != 0) {
    RemoveBackup(entry);
    return FileError("move into place", entry->destination, renamed);
  }
  KeepOnInterrupt(entry->folder_path / entry->temporary);
  entry->temporary.clear();
  return absl::OkStatus();
}

void StagedOutputs::RemoveBackup(Entry* entry) {
  if (entry->backup.empty()) return;
  steps_->Remove(entry->folder.get(), entry->backup);
  KeepOnInterrupt(entry->folder_path / entry->backup);
  entry->backup.clear();
}

// Takes back the first `count` outputs, which are in place; "" when all went back,
// else what could not.
std::string StagedOutputs::RollBack(size_t count) {
  std::string failures;
  for (size_t i = count; i-- > 0;) {
    Entry& entry = entries_[i];
    const bool had_old = !entry.backup.empty();
    const int undone = had_old ? steps_->Rename(entry.folder.get(), entry.backup, entry.name)
                               : steps_->Remove(entry.folder.get(), entry.name);
    if (undone != 0) {
      absl::StrAppend(&failures, "; could not put back what was at '", entry.destination.string(),
                      "': ", std::strerror(undone));
      RemoveBackup(&entry);
    } else if (had_old) {
      KeepOnInterrupt(entry.folder_path / entry.backup);
      entry.backup.clear();
    }
  }
  return failures;
}

absl::Status StagedOutputs::Commit() {
  InterruptCleanupHold hold;
  for (size_t i = 0; i < entries_.size(); ++i) {
    absl::Status committed = CommitOne(&entries_[i]);
    if (!committed.ok()) {
      const std::string failures = RollBack(i);
      if (failures.empty()) return committed;
      return Reworded(committed, absl::StrCat(committed.message(), failures));
    }
  }
  for (Entry& entry : entries_) RemoveBackup(&entry);
  for (const fs::path& folder : created_folders_) KeepOnInterrupt(folder);
  created_folders_.clear();
  return absl::OkStatus();
}

}  // namespace qbake
