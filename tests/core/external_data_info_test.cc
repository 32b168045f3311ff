#include "core/external_data_info.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace qbake {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

onnx::TensorProto External(const Entries& entries) {
  onnx::TensorProto tensor;
  tensor.set_data_location(onnx::TensorProto::EXTERNAL);
  for (const auto& [key, value] : entries) {
    onnx::StringStringEntryProto* entry = tensor.add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  }
  return tensor;
}

TEST(ExternalDataInfoTest, ReadsLocationOffsetAndLength) {
  absl::StatusOr<ExternalDataInfo> info = ReadExternalDataInfo(
      External({{"location", "w.bin"}, {"offset", "4096"}, {"length", "64"}, {"checksum", "x"}}));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->location, "w.bin");
  EXPECT_EQ(info->offset, 4096);
  EXPECT_EQ(info->length, 64);
}

TEST(ExternalDataInfoTest, OffsetAndLengthMayBeAbsent) {
  absl::StatusOr<ExternalDataInfo> info = ReadExternalDataInfo(External({{"location", "w.bin"}}));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->offset, 0);
  EXPECT_FALSE(info->length.has_value());
}

TEST(ExternalDataInfoTest, TheLastOfARepeatedKeyCounts) {
  absl::StatusOr<ExternalDataInfo> info = ReadExternalDataInfo(
      External({{"location", "a.bin"}, {"length", "8"}, {"location", "b.bin"}, {"length", "0"}}));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->location, "b.bin");
  EXPECT_EQ(info->length, 0);
}

TEST(ExternalDataInfoTest, TheLargestCountsAreAccepted) {
  absl::StatusOr<ExternalDataInfo> info = ReadExternalDataInfo(
      External({{"location", "w.bin"}, {"offset", "9223372036854775806"}, {"length", "1"}}));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->offset, 9223372036854775806);
}

struct BadEntries {
  std::string name;
  Entries entries;
  std::string message;
};

TEST(ExternalDataInfoTest, RefusesEachBadEntryByName) {
  const BadEntries cases[] = {
      {"NoLocation", {{"offset", "0"}, {"length", "4"}}, "external data has no 'location'"},
      {"EmptyLocation", {{"location", ""}}, "external data has no 'location'"},
      {"NegativeOffset",
       {{"location", "w.bin"}, {"offset", "-64"}},
       "external data 'offset' is '-64', not a byte count"},
      {"LengthNotANumber",
       {{"location", "w.bin"}, {"length", "sixty-four"}},
       "external data 'length' is 'sixty-four', not a byte count"},
      {"LengthBeyondInt64",
       {{"location", "w.bin"}, {"length", "18446744073709551615"}},
       "external data 'length' is '18446744073709551615', not a byte count"},
      {"OffsetPlusLengthOverflows",
       {{"location", "w.bin"}, {"offset", "9223372036854775807"}, {"length", "1"}},
       "external data 'offset' + 'length' overflows"},
  };
  for (const BadEntries& bad : cases) {
    SCOPED_TRACE(bad.name);
    absl::StatusOr<ExternalDataInfo> info = ReadExternalDataInfo(External(bad.entries));
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(info.status().message(), bad.message);
  }
}

}  // namespace
}  // namespace qbake
