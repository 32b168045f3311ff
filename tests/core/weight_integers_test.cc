// The stored form of a QDQ export on every case of PPQ's golden file: where the
// kernel's integers fit their ONNX type, FindWeightIntegers finds exactly them; every
// stored form it gives dequantizes, as ONNX Runtime computes DequantizeLinear, to the
// baked float32 bits; where none exists it says why.
#include "core/weight_integers.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "core/float8.h"
#include "core/tensor_baker.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "onnx/onnx_pb.h"
#include "tests/support/golden_cases.h"
#include "tests/support/test_data.h"
#include "tests/support/x86_truncation.h"

namespace qbake {
namespace {

using ::qbake::testing::FloatBits;
using ::qbake::testing::GoldenCases;
using ::qbake::testing::GoldenConfig;
using ::qbake::testing::GoldenFloats;

// The stored value at `index`, as DequantizeLinear reads it, minus its zero point.
float StoredValue(const WeightIntegers& stored, size_t index, size_t channel) {
  switch (stored.data_type) {
    case onnx::TensorProto::INT8:
      return static_cast<float>(static_cast<int8_t>(stored.raw_data[index]) -
                                static_cast<int8_t>(stored.zero_point_raw_data[channel]));
    case onnx::TensorProto::UINT8:
      return static_cast<float>(static_cast<uint8_t>(stored.raw_data[index]) -
                                static_cast<uint8_t>(stored.zero_point_raw_data[channel]));
    case onnx::TensorProto::INT32: {
      int32_t q;
      std::memcpy(&q, stored.raw_data.data() + 4 * index, 4);
      return static_cast<float>(q);
    }
    default:
      return DecodeFloat8(static_cast<uint8_t>(stored.raw_data[index]),
                          stored.data_type == 17 ? Float8Format::kE4M3FN : Float8Format::kE5M2);
  }
}

struct Channels {
  int64_t inner = 1;
  int64_t count = 1;
  size_t Of(size_t i) const { return (i / inner) % count; }
};

Channels ChannelsOf(const TensorQuantConfig& config, const std::vector<int64_t>& dims) {
  Channels channels;
  if (!config.Has(kPerChannel)) return channels;
  channels.count = dims[config.channel_axis];
  for (size_t d = config.channel_axis + 1; d < dims.size(); ++d) channels.inner *= dims[d];
  return channels;
}

// True when every q the config can give, and its offsets, fit its ONNX type: then
// a stored form must exist.
bool RangeFitsType(const TensorQuantConfig& config, const std::vector<float>& offset) {
  double lowest = -128, highest = 127;
  if (config.num_of_bits > 8) {
    lowest = INT32_MIN;
    highest = INT32_MAX;
    for (float o : offset) {
      if (o != 0) return false;
    }
  } else if (config.Has(kAsymmetrical)) {
    lowest = 0;
    highest = 255;
  }
  for (float o : offset) {
    if (o < lowest || o > highest) return false;
  }
  return config.quant_min >= lowest && config.quant_max <= highest;
}

TEST(WeightIntegersTest, EveryGoldenCaseStoresExactlyOrSaysWhy) {
  const nlohmann::json& cases = GoldenCases();
  int stored_cases = 0, integer_matches = 0, refused = 0, ambiguous = 0;
  ThreadPool pool(2);
  for (const nlohmann::json& c : cases) {
    SCOPED_TRACE(c["id"].dump());
    TensorQuantConfig config = GoldenConfig(c);
    const std::vector<int64_t> dims = c["shape"].get<std::vector<int64_t>>();
    std::vector<float> values = GoldenFloats(c["input"]);
    const bool linear = !config.Has(kFloating);
    std::vector<int32_t> integers(linear ? values.size() : 0);
    const TensorBakeResult result =
        BakeTensor(config, dims, absl::MakeSpan(values), absl::MakeSpan(integers), &pool);

    const absl::StatusOr<WeightIntegers> stored =
        FindWeightIntegers(config, dims, result.scale, result.offset, values);
    if (!stored.ok()) {
      EXPECT_EQ(stored.status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_FALSE(stored.status().message().empty());
      EXPECT_FALSE(linear && RangeFitsType(config, result.offset)) << stored.status();
      ++refused;
      continue;
    }
    ++stored_cases;
    const Channels channels = ChannelsOf(config, dims);
    for (size_t i = 0; i < values.size(); ++i) {
      const float dequantized =
          StoredValue(*stored, i, channels.Of(i)) * result.scale[channels.Of(i)];
      ASSERT_EQ(FloatBits(dequantized), FloatBits(values[i])) << "index " << i;
    }
    // The kernel's q, unless another q gives the same bits (large INT32 values, where
    // (q - o) * s rounds neighbours together). The kernel keeps the uint8 image of a
    // negative ASYMMETRICAL q, which has no stored form: those cases are refused.
    if (linear) {
      for (size_t i = 0; i < values.size(); ++i) {
        const size_t channel = channels.Of(i);
        const float q = StoredValue(*stored, i, channel) + result.offset[channel];
        if (testing::X86TruncateToInt32(q) == integers[i]) continue;
        const float kernel =
            (static_cast<float>(integers[i]) - result.offset[channel]) * result.scale[channel];
        ASSERT_EQ(FloatBits(kernel), FloatBits(values[i])) << "index " << i;
        ++ambiguous;
      }
      ++integer_matches;
    }
  }
  // The golden file has LINEAR and FLOATING cases of every kind: most store.
  EXPECT_GT(stored_cases, 100);
  EXPECT_GT(integer_matches, 50);
  std::cout << stored_cases << " golden cases stored (" << integer_matches
            << " LINEAR with the kernel's integers, " << ambiguous
            << " values where another q gives the same bits), " << refused << " kept as floats\n";
}

TEST(WeightIntegersTest, NamesWhatHasNoForm) {
  TensorQuantConfig config;
  config.policy = kPerTensor | kFloating | kSymmetrical;
  config.num_of_bits = 6;
  config.exponent_bits = 3;
  const std::vector<float> one = {1.0f};
  absl::StatusOr<WeightIntegers> stored = FindWeightIntegers(config, {1}, one, {0.0f}, one);
  EXPECT_EQ(stored.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(stored.status().message().find("E3M2"), std::string::npos) << stored.status();

  config.policy = kPerTensor | kLinear | kAsymmetrical;
  config.num_of_bits = 16;
  stored = FindWeightIntegers(config, {1}, one, std::vector<float>{3.0f}, one);
  EXPECT_EQ(stored.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(stored.status().message().find("INT32"), std::string::npos) << stored.status();

  config.num_of_bits = 8;  // UINT8: -2 has no form with zero point 0
  const std::vector<float> negative = {-2.0f};
  stored = FindWeightIntegers(config, {1}, one, std::vector<float>{0.0f}, negative);
  EXPECT_EQ(stored.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(stored.status().message().find("index 0"), std::string::npos) << stored.status();
}

// A fuzzer finding: zero values, but dims whose product after the channel axis
// overflows int64 (the bake accepts such a tensor: it has no value to bake).
TEST(WeightIntegersTest, AZeroElementTensorWithHugeDimsStoresNothing) {
  TensorQuantConfig config;
  config.policy = kPerChannel | kLinear | kSymmetrical;
  config.channel_axis = 0;
  const std::vector<float> scale = {0.5f, 0.25f};
  const std::vector<float> offset = {0.0f, 0.0f};
  absl::StatusOr<WeightIntegers> stored =
      FindWeightIntegers(config, {2, 0, int64_t{1} << 62, 3}, scale, offset, {});
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_TRUE(stored->raw_data.empty());
  EXPECT_EQ(stored->zero_point_raw_data.size(), 2u);
  EXPECT_TRUE(
      CheckQuantizeLinearGives(*stored, config, {2, 0, int64_t{1} << 62, 3}, scale, {}).ok());
}

TEST(Float8Test, EveryFiniteByteEncodesBackAndNeighboursBracket) {
  for (Float8Format format : {Float8Format::kE4M3FN, Float8Format::kE5M2}) {
    int finite = 0;
    for (int byte = 0; byte < 256; ++byte) {
      const float value = DecodeFloat8(static_cast<uint8_t>(byte), format);
      if (!std::isfinite(value)) continue;
      ++finite;
      EXPECT_EQ(EncodeFloat8Exactly(value, format), static_cast<uint8_t>(byte)) << byte;
    }
    EXPECT_EQ(finite, format == Float8Format::kE4M3FN ? 254 : 248);
  }
  EXPECT_EQ(DecodeFloat8(0x7E, Float8Format::kE4M3FN), 448.0f);
  EXPECT_EQ(DecodeFloat8(0x01, Float8Format::kE4M3FN), 1.0f / 512);
  EXPECT_EQ(DecodeFloat8(0x7B, Float8Format::kE5M2), 57344.0f);
  EXPECT_EQ(DecodeFloat8(0x01, Float8Format::kE5M2), 1.0f / 65536);
  EXPECT_FALSE(EncodeFloat8Exactly(480.0f, Float8Format::kE4M3FN));   // PPQ's E4M3 top
  EXPECT_FALSE(EncodeFloat8Exactly(1.0625f, Float8Format::kE4M3FN));  // between two
  const std::optional<Float8Neighbours> near = NearestFloat8(1.0625f, Float8Format::kE4M3FN);
  ASSERT_TRUE(near);
  EXPECT_EQ(DecodeFloat8(near->below, Float8Format::kE4M3FN), 1.0f);
  EXPECT_EQ(DecodeFloat8(near->above, Float8Format::kE4M3FN), 1.125f);
}

}  // namespace
}  // namespace qbake
