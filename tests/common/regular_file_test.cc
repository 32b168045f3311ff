// The file layer's reads (common/regular_file.h): regular files only, refused
// without blocking otherwise; beneath a folder without symbolic links; the bytes of
// the file that was opened, whatever happens to its path afterwards.
#include "common/regular_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(RegularFileTest, AFifoIsRefusedWithoutWaitingForAWriter) {
  ScratchFolder folder;
  ASSERT_EQ(mkfifo((folder.path() / "w.bin").c_str(), 0666), 0);
  for (const absl::StatusOr<RegularFile>& file :
       {RegularFile::Open(folder.path() / "w.bin"),
        RegularFile::OpenBeneath(folder.path(), "w.bin")}) {
    EXPECT_EQ(file.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(file.status().message()),
                HasSubstr("it is a FIFO, not a regular file"));
  }
}

TEST(RegularFileTest, DevicesAndFoldersAreRefused) {
  ScratchFolder folder;
  for (const auto& [path, kind] :
       {std::pair{fs::path("/dev/null"), "a character device"}, {folder.path(), "a folder"}}) {
    const absl::StatusOr<RegularFile> file = RegularFile::Open(path);
    EXPECT_THAT(std::string(file.status().message()), HasSubstr(std::string("it is ") + kind));
  }
}

TEST(RegularFileTest, BeneathAFolderASymbolicLinkAnywhereIsRefused) {
  ScratchFolder folder;
  fs::create_directory(folder.path() / "real");
  WriteFileOrDie(folder.path() / "real/w.bin", "inside");
  fs::create_symlink("real", folder.path() / "linked");
  fs::create_symlink("real/w.bin", folder.path() / "w.bin");
  for (const char* location : {"w.bin", "linked/w.bin"}) {
    SCOPED_TRACE(location);
    const absl::StatusOr<RegularFile> file = RegularFile::OpenBeneath(folder.path(), location);
    EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(file.status().message()), HasSubstr("is a symbolic link"));
  }
  EXPECT_TRUE(RegularFile::OpenBeneath(folder.path(), "real/w.bin").ok());
}

TEST(RegularFileTest, AHardLinkBeneathTheFolderIsReadAsItsFile) {
  ScratchFolder folder;
  ScratchFolder outside;
  WriteFileOrDie(outside.path() / "w.bin", "linked bytes");
  fs::create_hard_link(outside.path() / "w.bin", folder.path() / "w.bin");
  const absl::StatusOr<RegularFile> file = RegularFile::OpenBeneath(folder.path(), "w.bin");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->Read(0, std::nullopt).value_or(""), "linked bytes");
}

TEST(RegularFileTest, ReadsTheOpenedFileWhateverHappensToItsName) {
  ScratchFolder folder;
  WriteFileOrDie(folder.path() / "w.bin", "the opened file");
  const absl::StatusOr<RegularFile> file = RegularFile::OpenBeneath(folder.path(), "w.bin");
  ASSERT_TRUE(file.ok());
  fs::remove(folder.path() / "w.bin");
  fs::create_symlink("/etc/passwd", folder.path() / "w.bin");
  EXPECT_EQ(file->Read(4, 6).value_or(""), "opened");
}

TEST(RegularFileTest, AFileThatShrankIsAnErrorNotShortBytes) {
  ScratchFolder folder;
  WriteFileOrDie(folder.path() / "w.bin", std::string(4096, 'x'));
  const absl::StatusOr<RegularFile> file = RegularFile::Open(folder.path() / "w.bin");
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(truncate((folder.path() / "w.bin").c_str(), 100), 0);
  const absl::StatusOr<std::string> bytes = file->Read(0, std::nullopt);
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(bytes.status().message()), HasSubstr("shrank while being read"));
}

TEST(RegularFileTest, ReadAllRefusesMoreThanItsLimit) {
  ScratchFolder folder;
  WriteFileOrDie(folder.path() / "token", std::string(5000, 'x'));
  const absl::StatusOr<std::string> bytes = ReadRegularFile(folder.path() / "token", 4096);
  EXPECT_THAT(std::string(bytes.status().message()), HasSubstr("more than the 4096 expected"));
}

}  // namespace
}  // namespace qbake::testing
