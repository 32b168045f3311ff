// Baked tensors stream in raw_data layout whatever field stores them, and any slice
// of a payload equals the same bytes of the whole.
#include "server/payload_bytes.h"

#include "gtest/gtest.h"
#include "tests/support/model_builder.h"

namespace qbake {
namespace {

using ::qbake::testing::MakeTensor;
using ::qbake::testing::Storage;

const std::vector<float> kValues = {0.5f, -1.25f, 3.0e-3f, 7.75f, -0.0f};

std::string All(const PayloadBytes& bytes) {
  std::string out;
  bytes.AppendTo(0, bytes.size(), &out);
  return out;
}

class TensorBytesTest : public ::testing::TestWithParam<int32_t> {};

TEST_P(TensorBytesTest, TypedStorageReadsAsRawData) {
  const onnx::TensorProto raw = MakeTensor("w", {5}, kValues, GetParam(), Storage::kRaw);
  const onnx::TensorProto typed = MakeTensor("w", {5}, kValues, GetParam(), Storage::kTyped);
  ASSERT_FALSE(typed.has_raw_data());
  EXPECT_EQ(All(TensorBytes(typed)), raw.raw_data());
  EXPECT_EQ(All(TensorBytes(raw)), raw.raw_data());
}

TEST_P(TensorBytesTest, SlicesAtAnyByteMatchTheWhole) {
  const onnx::TensorProto typed = MakeTensor("w", {5}, kValues, GetParam(), Storage::kTyped);
  const PayloadBytes bytes = TensorBytes(typed);
  const std::string whole = All(bytes);
  for (uint64_t offset = 0; offset < bytes.size(); ++offset) {
    std::string slice;
    bytes.AppendTo(offset, 3 <= bytes.size() - offset ? 3 : bytes.size() - offset, &slice);
    EXPECT_EQ(slice, whole.substr(offset, 3)) << offset;
  }
}

INSTANTIATE_TEST_SUITE_P(ElementTypes, TensorBytesTest,
                         ::testing::Values(onnx::TensorProto::FLOAT, onnx::TensorProto::FLOAT16,
                                           onnx::TensorProto::BFLOAT16),
                         [](const auto& info) {
                           return onnx::TensorProto::DataType_Name(info.param);
                         });

TEST(IntegerBytesTest, EightBitTypesTakeTheLowByte) {
  const std::vector<int32_t> values = {-2, 127, -128, 0};
  EXPECT_EQ(All(IntegerBytes(values, IntegerType::kInt8)), std::string("\xfe\x7f\x80\x00", 4));
  const std::vector<int32_t> unsigned_values = {232, 0, 255};
  EXPECT_EQ(All(IntegerBytes(unsigned_values, IntegerType::kUInt8)),
            std::string("\xe8\x00\xff", 3));
}

TEST(IntegerBytesTest, Int32IsFourLittleEndianBytes) {
  const std::vector<int32_t> values = {0x01020304, -1};
  EXPECT_EQ(All(IntegerBytes(values, IntegerType::kInt32)),
            std::string("\x04\x03\x02\x01\xff\xff\xff\xff", 8));
}

}  // namespace
}  // namespace qbake
