// FLOATING numerics beyond the golden file: the format limits and PPQ's kernel
// quirks that qbake reproduces on purpose.
#include "core/kernels/floating_kernel.h"

#include <vector>

#include "gtest/gtest.h"
#include "tests/support/test_data.h"

namespace qbake {
namespace {

using ::qbake::testing::FloatBits;

// Bakes a whole vector as one run with offset 0.
void Bake(const FloatingFormat& format, Rounding rounding, float scale,
          std::vector<float>* values) {
  ErrorStats stats;
  FloatingBakeRun(format, rounding, scale, 0.0f,
                  TensorRun{values->data(), nullptr, 0, values->size()}, &stats);
}

float BakeE4m3(float x, Rounding rounding, double quant_max = 480) {
  std::vector<float> values = {x};
  Bake(FloatingFormat(4, 3, -quant_max, quant_max), rounding, 1.0f, &values);
  return values[0];
}

TEST(FloatingKernelTest, ClipsToTheFormatsLargestValue) {
  EXPECT_EQ(BakeE4m3(1e6f, Rounding::kHalfEven, 1e9), 480.0f);
  EXPECT_EQ(BakeE4m3(-1e6f, Rounding::kHalfEven, 1e9), -480.0f);
  const FloatingFormat e5m2(5, 2, -1e9, 1e9);
  std::vector<float> values = {1e9f};
  Bake(e5m2, Rounding::kHalfEven, 1.0f, &values);
  EXPECT_EQ(values[0], 114688.0f);
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

TEST(FloatingFormatTest, CarriesWhereRxOfTheDroppedFractionIsOne) {
  // E4M3 drops 20 bits; a fraction of 0.5 is 2^19 of them.
  const FloatingFormat e4m3(4, 3, -448, 448);
  const auto threshold = [&](Rounding r) { return e4m3.carry_threshold[static_cast<int>(r)]; };
  const uint32_t half = uint32_t{1} << 19;
  EXPECT_EQ(threshold(Rounding::kHalfEven), half + 1);  // the tie goes down (see above)
  EXPECT_EQ(threshold(Rounding::kHalfUp), half);
  EXPECT_EQ(threshold(Rounding::kHalfDown), half + 1);
  EXPECT_EQ(threshold(Rounding::kHalfTowardsZero), half + 1);
  EXPECT_EQ(threshold(Rounding::kHalfFarFromZero), half);
  EXPECT_EQ(threshold(Rounding::kToNearInt), half);
  EXPECT_EQ(threshold(Rounding::kUp), 1u);
  EXPECT_EQ(threshold(Rounding::kDown), 2 * half);  // never
  EXPECT_EQ(e4m3.dropped_mask, 2 * half - 1);
}

TEST(FloatingKernelTest, ScalesBeforeAndAfterQuantizing) {
  const FloatingFormat e4m3(4, 3, -448, 448);
  std::vector<float> values = {0.25f * 1.0625f, 0.25f * 1000};
  Bake(e4m3, Rounding::kHalfEven, 0.25f, &values);
  EXPECT_EQ(values, (std::vector<float>{0.25f, 112.0f}));
}

}  // namespace
}  // namespace qbake
