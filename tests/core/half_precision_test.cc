// FLOAT16 and BFLOAT16 conversions: exact widening, round-to-nearest-even narrowing.
#include "core/half_precision.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"
#include "tests/support/test_data.h"

namespace qbake {
namespace {

TEST(HalfPrecisionTest, EveryHalfSurvivesAWideningRoundTrip) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto half = static_cast<uint16_t>(bits);
    const float wide = HalfToFloat(half);
    if (std::isnan(wide)) continue;
    EXPECT_EQ(FloatToHalf(wide), half) << std::hex << bits;
  }
}

TEST(HalfPrecisionTest, WidensKnownValuesExactly) {
  EXPECT_EQ(HalfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xc000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(HalfToFloat(0x7c00)));
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7e00)));
}

TEST(HalfPrecisionTest, NarrowsTiesToEven) {
  const float ulp = std::ldexp(1.0f, -10);
  EXPECT_EQ(FloatToHalf(1.0f + ulp / 2), 0x3c00);               // tie, even below
  EXPECT_EQ(FloatToHalf(1.0f + 3 * ulp / 2), 0x3c02);           // tie, even above
  EXPECT_EQ(FloatToHalf(1.0f + ulp / 2 + ulp / 1024), 0x3c01);  // above the tie
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)), 0x0000);        // subnormal tie to 0
  EXPECT_EQ(FloatToHalf(std::ldexp(3.0f, -25)), 0x0002);        // subnormal tie to even
}

TEST(HalfPrecisionTest, OverflowsToInfinityFrom65520) {
  EXPECT_EQ(FloatToHalf(65519.0f), 0x7bff);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00);
  EXPECT_EQ(FloatToHalf(-1e10f), 0xfc00);
  EXPECT_EQ(FloatToHalf(std::numeric_limits<float>::quiet_NaN()) & 0x7e00, 0x7e00);
}

TEST(BFloat16Test, EveryBFloat16SurvivesAWideningRoundTrip) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto bf = static_cast<uint16_t>(bits);
    const float wide = BFloat16ToFloat(bf);
    if (std::isnan(wide)) continue;
    EXPECT_EQ(FloatToBFloat16(wide), bf) << std::hex << bits;
  }
}

TEST(BFloat16Test, NarrowsTiesToEven) {
  EXPECT_EQ(FloatToBFloat16(testing::FloatFromBits(0x3f808000)), 0x3f80);  // tie, even
  EXPECT_EQ(FloatToBFloat16(testing::FloatFromBits(0x3f818000)), 0x3f82);  // tie, even
  EXPECT_EQ(FloatToBFloat16(testing::FloatFromBits(0x3f808001)), 0x3f81);
  EXPECT_EQ(FloatToBFloat16(testing::FloatFromBits(0x7f7fffff)), 0x7f80);  // to infinity
}

}  // namespace
}  // namespace qbake
