// LINEAR numerics beyond the golden file: the float32 quirks PPQ's torch path has
// and that qbake must keep.
#include "core/kernels/linear_kernel.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/test_data.h"

namespace qbake {
namespace {

using ::qbake::testing::FloatBits;

// Bakes a whole vector as one run with offset 0 (the integers too, where given).
ErrorStats Bake(const LinearParams& params, float scale, std::vector<float>* values,
                std::vector<int32_t>* integers = nullptr) {
  ErrorStats stats;
  const TensorRun run{values->data(), integers == nullptr ? nullptr : integers->data(), 0,
                      values->size()};
  LinearBakeRun(params, scale, 0, run, &stats);
  return stats;
}

std::vector<float> Bake(const LinearParams& params, float scale, std::vector<float> values) {
  Bake(params, scale, &values);
  return values;
}

TEST(LinearKernelTest, DividesByTheScaleInsteadOfMultiplyingByItsReciprocal) {
  // Near a half-integer multiple of the scale, x / s and x * (1 / s) can round to
  // different integers; the kernel must agree with the division on every such x.
  const float scale = 0.1f;
  const float reciprocal = 1.0f / scale;
  int separating_inputs = 0;
  for (int k = 0; k < 2000; ++k) {
    float x = (static_cast<float>(k) + 0.5f) * scale;
    for (int step = 0; step < 8; ++step, x = std::nextafter(x, 1e9f)) {
      if (std::nearbyint(x / scale) == std::nearbyint(x * reciprocal)) continue;
      ++separating_inputs;
      LinearParams params{Rounding::kHalfEven, -32768, 32767, IntegerType::kInt32};
      EXPECT_EQ(FloatBits(Bake(params, scale, {x})[0]),
                FloatBits(std::nearbyint(x / scale) * scale))
          << x;
    }
  }
  EXPECT_GT(separating_inputs, 0);
}

TEST(LinearKernelTest, HalfUpAddsOneHalfInFloat32LikeTorch) {
  // 0.49999997f + 0.5f rounds to 1.0f in float32, so PPQ's CPU path rounds it up.
  std::vector<float> values = {0.49999997f};
  std::vector<int32_t> q(1);
  LinearParams params{Rounding::kHalfUp, -128, 127, IntegerType::kInt32};
  Bake(params, 1.0f, &values, &q);
  EXPECT_EQ(q[0], 1);
  EXPECT_EQ(values[0], 1.0f);
}

TEST(LinearKernelTest, HalfEvenSendsTiesToTheEvenInteger) {
  std::vector<float> values = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f};
  std::vector<int32_t> q(values.size());
  LinearParams params{Rounding::kHalfEven, -128, 127, IntegerType::kInt32};
  Bake(params, 1.0f, &values, &q);
  EXPECT_EQ(q, (std::vector<int32_t>{0, 2, 2, 0, -2}));
}

TEST(LinearKernelTest, ClampsToTheQuantRangeBeforeDequantizing) {
  std::vector<float> values = {1000.0f, -1000.0f};
  std::vector<int32_t> q(values.size());
  LinearParams params{Rounding::kHalfEven, -128, 127, IntegerType::kInt32};
  Bake(params, 0.5f, &values, &q);
  EXPECT_EQ(q, (std::vector<int32_t>{127, -128}));
  EXPECT_EQ(values, (std::vector<float>{63.5f, -64.0f}));
}

TEST(LinearKernelTest, ReportsMaxAbsoluteAndSquaredError) {
  std::vector<float> values = {0.3f, -0.74f};
  LinearParams params{Rounding::kHalfEven, -128, 127, IntegerType::kInt32};
  const ErrorStats stats = Bake(params, 0.5f, &values);
  const double e0 = 0.5 - static_cast<double>(0.3f);
  const double e1 = -0.5 - static_cast<double>(-0.74f);
  EXPECT_EQ(stats.max_abs, std::max(std::fabs(e0), std::fabs(e1)));
  // Elements 0 and 1 are in error lanes 0 and 1: the total is lane 0 plus lane 1.
  EXPECT_EQ(stats.lane_sum_squared[0], e0 * e0);
  EXPECT_EQ(stats.lane_sum_squared[1], e1 * e1);
  EXPECT_EQ(stats.sum_squared(), e0 * e0 + e1 * e1);
}

std::vector<int32_t> IntegersOf(std::vector<float> q, IntegerType type) {
  // Scale 1 and a quant range wider than every q: the integers are q itself.
  LinearParams params{Rounding::kHalfEven, -3e9f, 3e9f, type};
  std::vector<int32_t> integers(q.size());
  Bake(params, 1.0f, &q, &integers);
  return integers;
}

TEST(IntegerRepresentationTest, WrapsAsymmetricEightBitValuesToUnsigned) {
  EXPECT_EQ(IntegersOf({-24.0f, 200.0f}, IntegerType::kUInt8), (std::vector<int32_t>{232, 200}));
  EXPECT_EQ(IntegersOf({-128.0f, 200.0f}, IntegerType::kInt8), (std::vector<int32_t>{-128, -56}));
}

TEST(IntegerRepresentationTest, TurnsValuesOutsideInt32IntoInt32MinLikeX86Torch) {
  EXPECT_EQ(
      IntegersOf({2147483648.0f, -2147483648.0f, 2147483520.0f, -2.5e9f}, IntegerType::kInt32),
      (std::vector<int32_t>{INT32_MIN, INT32_MIN, 2147483520, INT32_MIN}));
  EXPECT_EQ(IntegersOf({2147483648.0f}, IntegerType::kInt8), (std::vector<int32_t>{0}));
}

TEST(IntegerRepresentationTest, FollowsBitWidthAndSymmetry) {
  TensorQuantConfig config;
  config.num_of_bits = 8;
  config.policy = kPerTensor | kLinear | kAsymmetrical;
  EXPECT_EQ(IntegerTypeOf(config), IntegerType::kUInt8);
  config.policy = kPerTensor | kLinear | kSymmetrical;
  EXPECT_EQ(IntegerTypeOf(config), IntegerType::kInt8);
  config.num_of_bits = 16;
  EXPECT_EQ(IntegerTypeOf(config), IntegerType::kInt32);
}

}  // namespace
}  // namespace qbake
