// StagedOutputs' rules for destinations (only regular files that are no input are
// replaced), its unnamed temporaries, and its all-or-nothing commit, with a failure
// injected at every step.
#include "cli/staged_outputs.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "common/regular_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The system's steps, counted; the one numbered `fail_at` (from 0) fails with EIO.
class CountingSteps : public CommitSteps {
 public:
  explicit CountingSteps(int fail_at = -1) : fail_at_(fail_at) {}
  int Link(int folder, const std::string& from, const std::string& to) override {
    return Next() ? EIO : CommitSteps::Link(folder, from, to);
  }
  int Rename(int folder, const std::string& from, const std::string& to) override {
    return Next() ? EIO : CommitSteps::Rename(folder, from, to);
  }
  int Remove(int folder, const std::string& name) override {
    return Next() ? EIO : CommitSteps::Remove(folder, name);
  }
  int calls() const { return calls_; }

 private:
  bool Next() { return calls_++ == fail_at_; }
  const int fail_at_;
  int calls_ = 0;
};

// Two outputs replace files ("a", "b"), one is new in a new folder ("new/c").
absl::Status StageThree(const fs::path& folder, StagedOutputs* outputs) {
  for (const char* name : {"a", "new/c", "b"}) {
    absl::Status staged = outputs->StageBytes(folder / name, std::string("new ") + name);
    if (!staged.ok()) return staged;
  }
  return absl::OkStatus();
}

TEST(StagedOutputsCommitTest, AFailureAtAnyStepLeavesEveryDestinationAsItWas) {
  int steps_of_a_commit = 0;
  {
    ScratchFolder folder;
    WriteFileOrDie(folder.path() / "a", "old a");
    WriteFileOrDie(folder.path() / "b", "old b");
    CountingSteps counting;
    StagedOutputs outputs(&counting);
    ASSERT_TRUE(StageThree(folder.path(), &outputs).ok());
    ASSERT_TRUE(outputs.Commit().ok());
    steps_of_a_commit = counting.calls();
    EXPECT_EQ(ReadFileOrDie(folder / "new/c"), "new new/c");
    EXPECT_EQ(ReadFileOrDie(folder / "b"), "new b");
    EXPECT_THAT(FolderNames(folder.path()), ElementsAre("a", "b", "new"));
  }
  // Link a, rename a, rename c, link b, rename b, then remove both backups.
  ASSERT_EQ(steps_of_a_commit, 7);
  for (int fail_at = 0; fail_at < steps_of_a_commit; ++fail_at) {
    SCOPED_TRACE(fail_at);
    ScratchFolder folder;
    WriteFileOrDie(folder.path() / "a", "old a");
    WriteFileOrDie(folder.path() / "b", "old b");
    CountingSteps failing(fail_at);
    {
      StagedOutputs outputs(&failing);
      ASSERT_TRUE(StageThree(folder.path(), &outputs).ok());
      const absl::Status committed = outputs.Commit();
      if (fail_at < 5) {  // a step that moves an output: the commit fails, all taken back
        EXPECT_FALSE(committed.ok());
        EXPECT_THAT(std::string(committed.message()), HasSubstr("Input/output error"));
      } else {  // removing a backup: the outputs are in place; a hidden backup may stay
        EXPECT_TRUE(committed.ok()) << committed;
      }
    }
    if (fail_at < 5) {
      EXPECT_EQ(ReadFileOrDie(folder / "a"), "old a");
      EXPECT_EQ(ReadFileOrDie(folder / "b"), "old b");
      EXPECT_THAT(FolderNames(folder.path()), ElementsAre("a", "b"));
    } else {
      EXPECT_EQ(ReadFileOrDie(folder / "a"), "new a");
      EXPECT_EQ(ReadFileOrDie(folder / "b"), "new b");
    }
  }
}

TEST(StagedOutputsCommitTest, TheOldFileStaysReadableThroughItsReplacement) {
  ScratchFolder folder;
  WriteFileOrDie(folder.path() / "a", "old a");
  absl::StatusOr<RegularFile> reader = RegularFile::Open(folder.path() / "a");
  ASSERT_TRUE(reader.ok());
  StagedOutputs outputs;
  ASSERT_TRUE(outputs.StageBytes(folder.path() / "a", "new a").ok());
  ASSERT_TRUE(outputs.Commit().ok());
  EXPECT_EQ(reader->Read(0, std::nullopt).value_or(""), "old a");
  EXPECT_EQ(ReadFileOrDie(folder / "a"), "new a");
  EXPECT_THAT(FolderNames(folder.path()), ElementsAre("a"));
}

// Each kind of file that is not regular, made at `path`.
struct NonRegular {
  std::string kind;  // as the error names it
  std::function<void(const fs::path&)> make;
};

std::vector<NonRegular> NonRegularFiles() {
  return {
      {"a symbolic link",
       [](const fs::path& p) { fs::create_symlink("/proc/self/fd/1", p); }},  // like /dev/stdout
      {"a character device",
       [](const fs::path& p) { ASSERT_EQ(mknod(p.c_str(), S_IFCHR | 0666, makedev(1, 3)), 0); }},
      {"a FIFO", [](const fs::path& p) { ASSERT_EQ(mkfifo(p.c_str(), 0666), 0); }},
      {"a socket",
       [](const fs::path& p) {
         const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
         sockaddr_un address{};
         address.sun_family = AF_UNIX;
         p.string().copy(address.sun_path, sizeof(address.sun_path) - 1);
         ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
         close(fd);
       }},
      {"a folder", [](const fs::path& p) { fs::create_directory(p); }},
  };
}

// Until Commit a staged output has no name (O_TMPFILE): a process killed while it
// writes (SIGKILL, which no handler sees) leaves nothing behind, not even a hidden
// temporary. Commit names it and moves it into place.
TEST(StagedOutputsTest, AnOutputHasNoNameUntilCommitted) {
  ScratchFolder folder;
  {
    StagedOutputs outputs;
    ASSERT_TRUE(outputs.StageBytes(folder.path() / "out", "bytes").ok());
    EXPECT_THAT(FolderNames(folder.path()), ::testing::IsEmpty());
  }
  StagedOutputs outputs;
  ASSERT_TRUE(outputs.StageBytes(folder.path() / "out", "bytes").ok());
  ASSERT_TRUE(outputs.Commit().ok());
  EXPECT_THAT(FolderNames(folder.path()), ElementsAre("out"));
  EXPECT_EQ(ReadFileOrDie(folder / "out"), "bytes");
}

TEST(StagedOutputsTest, NoOutputReplacesWhatIsNotARegularFile) {
  for (const NonRegular& file : NonRegularFiles()) {
    SCOPED_TRACE(file.kind);
    ScratchFolder folder;
    file.make(folder.path() / "out");
    StagedOutputs outputs;
    const absl::Status staged = outputs.StageBytes(folder.path() / "out", "bytes");
    EXPECT_EQ(staged.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(staged.message()), HasSubstr("it is " + file.kind));
    EXPECT_THAT(std::string(staged.message()), HasSubstr(folder / "out"));
  }
}

TEST(StagedOutputsTest, NoOutputReplacesAnInputNorAHardLinkOfIt) {
  ScratchFolder folder;
  WriteFileOrDie(folder.path() / "model.onnx", "model");
  fs::create_hard_link(folder.path() / "model.onnx", folder.path() / "alias.onnx");
  absl::StatusOr<RegularFile> input = RegularFile::Open(folder.path() / "model.onnx");
  ASSERT_TRUE(input.ok());
  for (const char* name : {"model.onnx", "alias.onnx"}) {
    StagedOutputs outputs;
    outputs.ProtectInput(input->identity(), "the input model");
    const absl::Status staged = outputs.StageBytes(folder.path() / name, "report");
    EXPECT_THAT(std::string(staged.message()), HasSubstr("it is the input model"));
  }
  EXPECT_EQ(ReadFileOrDie(folder / "model.onnx"), "model");
  EXPECT_THAT(FolderNames(folder.path()), ElementsAre("alias.onnx", "model.onnx"));
}

TEST(StagedOutputsTest, BeneathAFolderNoSymbolicLinkIsFollowed) {
  ScratchFolder folder;
  ScratchFolder outside;
  fs::create_symlink(outside.path(), folder.path() / "sub");
  StagedOutputs outputs;
  const absl::StatusOr<int> staged = outputs.StageBeneath(folder.path(), "sub/w.bin");
  EXPECT_THAT(std::string(staged.status().message()), HasSubstr("is a symbolic link"));
  EXPECT_THAT(FolderNames(outside.path()), ::testing::IsEmpty());
}

}  // namespace
}  // namespace qbake::testing
