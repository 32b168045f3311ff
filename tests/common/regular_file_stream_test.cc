// A RegularFile as a protobuf input stream (common/regular_file_stream.h): every byte
// in order however a parser backs up and skips, and the file's failures as status.
#include "common/regular_file_stream.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/small_model.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;

// 1000 bytes that differ from their neighbours.
std::string Counting() {
  std::string bytes;
  for (int i = 0; i < 1000; ++i) bytes.push_back(static_cast<char>(i * 7 % 251));
  return bytes;
}

RegularFile OpenOrDie(const std::filesystem::path& path) {
  absl::StatusOr<RegularFile> file = RegularFile::Open(path);
  EXPECT_TRUE(file.ok()) << file.status();
  return *std::move(file);
}

TEST(RegularFileStreamTest, HandsOutEveryByteInBlocks) {
  ScratchFolder folder;
  WriteFileOrDie(folder.path() / "f", Counting());
  const RegularFile file = OpenOrDie(folder.path() / "f");
  RegularFileStream stream(&file, 64);
  std::string read;
  const void* data = nullptr;
  int size = 0;
  while (stream.Next(&data, &size)) {
    EXPECT_LE(size, 64);
    read.append(static_cast<const char*>(data), static_cast<size_t>(size));
  }
  EXPECT_EQ(read, Counting());
  EXPECT_EQ(stream.ByteCount(), 1000);
  EXPECT_TRUE(stream.status().ok());
}

TEST(RegularFileStreamTest, BackedUpAndSkippedBytesKeepTheirPlace) {
  ScratchFolder folder;
  WriteFileOrDie(folder.path() / "f", Counting());
  const RegularFile file = OpenOrDie(folder.path() / "f");
  RegularFileStream stream(&file, 100);
  const void* data = nullptr;
  int size = 0;
  ASSERT_TRUE(stream.Next(&data, &size));
  stream.BackUp(30);  // bytes 70..99 again
  EXPECT_EQ(stream.ByteCount(), 70);
  ASSERT_TRUE(stream.Skip(10));  // inside the backed-up bytes: 80..99 next
  ASSERT_TRUE(stream.Next(&data, &size));
  EXPECT_EQ(std::string(static_cast<const char*>(data), static_cast<size_t>(size)),
            Counting().substr(80, 20));
  ASSERT_TRUE(stream.Skip(150));  // past the block: 250 next
  ASSERT_TRUE(stream.Next(&data, &size));
  EXPECT_EQ(std::string(static_cast<const char*>(data), static_cast<size_t>(size)),
            Counting().substr(250, 100));
  EXPECT_FALSE(stream.Skip(1000));  // beyond the end: stops there
  EXPECT_EQ(stream.ByteCount(), 1000);
  EXPECT_FALSE(stream.Next(&data, &size));
  EXPECT_TRUE(stream.status().ok());
}

TEST(RegularFileStreamTest, AFileThatShrankEndsTheStreamWithReadsError) {
  ScratchFolder folder;
  WriteFileOrDie(folder.path() / "f", Counting());
  const RegularFile file = OpenOrDie(folder.path() / "f");
  ASSERT_EQ(truncate((folder.path() / "f").c_str(), 500), 0);
  RegularFileStream stream(&file, 400);
  const void* data = nullptr;
  int size = 0;
  ASSERT_TRUE(stream.Next(&data, &size));
  EXPECT_FALSE(stream.Next(&data, &size));
  EXPECT_EQ(stream.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(stream.status().message()),
              HasSubstr("shrank while being read (1000 bytes when opened)"));
  EXPECT_FALSE(stream.Next(&data, &size));
}

TEST(RegularFileStreamTest, AMessageParsesFromItAsFromItsBytes) {
  ScratchFolder folder;
  const std::string bytes = SmallModel().SerializeAsString();
  WriteFileOrDie(folder.path() / "model.onnx", bytes);
  const RegularFile file = OpenOrDie(folder.path() / "model.onnx");
  RegularFileStream stream(&file, 16);  // far smaller than the model's fields
  onnx::ModelProto parsed;
  ASSERT_TRUE(parsed.ParseFromZeroCopyStream(&stream));
  EXPECT_EQ(parsed.SerializeAsString(), bytes);
}

}  // namespace
}  // namespace qbake::testing
