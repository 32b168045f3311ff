// FLOATING numerics beyond the golden file: the format limits and PPQ's kernel
// quirks that qbake reproduces on purpose.
#include "core/floating_kernel.h"

#include <vector>

#include "gtest/gtest.h"
#include "tests/support/test_data.h"

namespace qbake {
namespace {

using ::qbake::testing::FloatBits;

float BakeE4m3(float x, Rounding rounding, double quant_max = 480) {
  const FloatingFormat e4m3(4, 3, -quant_max, quant_max);
  FloatingBakeRun(e4m3, rounding, 1.0f, 0.0f, &x, 1);
  return x;
}

TEST(FloatingKernelTest, ClipsToTheFormatsLargestValue) {
  EXPECT_EQ(BakeE4m3(1e6f, Rounding::kHalfEven, 1e9), 480.0f);
  EXPECT_EQ(BakeE4m3(-1e6f, Rounding::kHalfEven, 1e9), -480.0f);
  const FloatingFormat e5m2(5, 2, -1e9, 1e9);
  float x = 1e9f;
  FloatingBakeRun(e5m2, Rounding::kHalfEven, 1.0f, 0.0f, &x, 1);
  EXPECT_EQ(x, 114688.0f);
}

TEST(FloatingKernelTest, ClipsToQuantMaxWhenItIsTighter) {
  EXPECT_EQ(BakeE4m3(460.0f, Rounding::kHalfEven, 448), 448.0f);
}

TEST(FloatingKernelTest, HalfEvenSendsEveryMantissaTieDownLikePpqsKernel) {
  // 1.0625 lies halfway between the E4M3 neighbours 1.0 and 1.125; so does 1.1875
  // between 1.125 and 1.25. True half-to-even would give 1.0 and 1.25.
  EXPECT_EQ(BakeE4m3(1.0625f, Rounding::kHalfEven), 1.0f);
  EXPECT_EQ(BakeE4m3(1.1875f, Rounding::kHalfEven), 1.125f);
  EXPECT_EQ(BakeE4m3(1.1875f, Rounding::kHalfUp), 1.25f);
}

TEST(FloatingKernelTest, RoundsMagnitudeSoRoundUpMovesNegativesAwayFromZero) {
  EXPECT_EQ(BakeE4m3(-1.01f, Rounding::kUp), -1.125f);
  EXPECT_EQ(BakeE4m3(-1.12f, Rounding::kDown), -1.0f);
}

TEST(FloatingKernelTest, CarriesAMantissaOverflowIntoTheExponent) {
  EXPECT_EQ(BakeE4m3(1.95f, Rounding::kHalfEven), 2.0f);
}

TEST(FloatingKernelTest, QuantizesSubnormalsInStepsOfTheSmallestSubnormal) {
  const float step = 1.0f / 512;  // E4M3: 2^-9
  EXPECT_EQ(BakeE4m3(3.4f * step, Rounding::kHalfEven), 3 * step);
  EXPECT_EQ(BakeE4m3(2.5f * step, Rounding::kHalfEven), 2 * step);
  EXPECT_EQ(BakeE4m3(2.5f * step, Rounding::kHalfUp), 3 * step);
}

TEST(FloatingKernelTest, GivesPositiveZeroForNegativeValuesThatRoundToZero) {
  EXPECT_EQ(FloatBits(BakeE4m3(-0.1f / 512, Rounding::kHalfEven)), 0u);
}

TEST(FloatingKernelTest, ScalesBeforeAndAfterQuantizing) {
  const FloatingFormat e4m3(4, 3, -448, 448);
  std::vector<float> values = {0.25f * 1.0625f, 0.25f * 1000};
  FloatingBakeRun(e4m3, Rounding::kHalfEven, 0.25f, 0.0f, values.data(), values.size());
  EXPECT_EQ(values, (std::vector<float>{0.25f, 112.0f}));
}

}  // namespace
}  // namespace qbake
