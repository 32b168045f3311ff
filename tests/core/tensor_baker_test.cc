// Tensor-level baking: identical results for any thread count and kernel path,
// per-channel layout, DYNAMIC solving, and the statistics it reports.
#include "core/tensor_baker.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/kernels/kernel_dispatch.h"
#include "gtest/gtest.h"
#include "tests/support/test_data.h"

namespace qbake {
namespace {

using ::qbake::testing::FloatBits;

std::vector<float> RandomValues(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.7f);
  std::vector<float> values(n);
  for (float& v : values) v = normal(rng);
  return values;
}

struct Baked {
  std::vector<float> values;
  std::vector<int32_t> integers;
  TensorBakeResult result;
};

Baked BakeWithThreads(const TensorQuantConfig& config, const std::vector<int64_t>& dims,
                      int threads) {
  Baked baked;
  baked.values = RandomValues(static_cast<size_t>(dims[0] * dims[1] * dims[2]), 7);
  if (!config.Has(kFloating)) baked.integers.resize(baked.values.size());
  ThreadPool pool(threads);
  baked.result =
      BakeTensor(config, dims, absl::MakeSpan(baked.values), absl::MakeSpan(baked.integers), &pool);
  return baked;
}

void ExpectIdentical(const Baked& a, const Baked& b) {
  ASSERT_EQ(a.values.size(), b.values.size());
  for (size_t i = 0; i < a.values.size(); ++i) {
    ASSERT_EQ(FloatBits(a.values[i]), FloatBits(b.values[i])) << i;
  }
  EXPECT_EQ(a.integers, b.integers);
  EXPECT_EQ(a.result.scale, b.result.scale);
  EXPECT_EQ(a.result.offset, b.result.offset);
  EXPECT_EQ(a.result.max_abs_error, b.result.max_abs_error);
  EXPECT_EQ(a.result.mean_squared_error, b.result.mean_squared_error);
}

class ThreadCountIndependenceTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(ThreadCountIndependenceTest, GivesTheSameBitsForAnyThreadCountAndKernelPath) {
  const std::vector<int64_t> dims = {37, 3, 4099};  // several chunks, odd channel runs
  TensorQuantConfig config;
  config.policy = GetParam();
  config.channel_axis = 1;
  if (config.Has(kFloating)) {
    config.num_of_bits = 8;
    config.exponent_bits = 4;
    config.quant_min = -448;
    config.quant_max = 448;
  }
  if (config.Has(kAsymmetrical)) {
    config.quant_min = 0;
    config.quant_max = 255;
    if (!config.Has(kDynamic)) config.offset = {128.0f, 100.0f, 7.0f};
  }
  if (!config.Has(kDynamic)) {
    config.scale = config.Has(kPerChannel) ? std::vector<float>{0.0078125f, 0.015625f, 0.03125f}
                                           : std::vector<float>{0.0078125f};
  }
  const Baked one = [&] {
    const ScopedKernelPath portable(KernelPath::kPortable);
    return BakeWithThreads(config, dims, 1);
  }();
  for (KernelPath path : SupportedKernelPaths()) {
    SCOPED_TRACE(std::string(KernelPathName(path)) + " path");
    const ScopedKernelPath scoped(path);
    ExpectIdentical(one, BakeWithThreads(config, dims, 1));
    ExpectIdentical(one, BakeWithThreads(config, dims, 2));
    ExpectIdentical(one, BakeWithThreads(config, dims, 7));
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, ThreadCountIndependenceTest,
                         ::testing::Values(kPerTensor | kLinear | kSymmetrical,
                                           kPerChannel | kLinear | kSymmetrical,
                                           kPerChannel | kLinear | kAsymmetrical,
                                           kPerChannel | kFloating | kSymmetrical | kPowerOf2,
                                           kPerTensor | kLinear | kAsymmetrical | kDynamic,
                                           kPerChannel | kLinear | kSymmetrical | kDynamic));

TEST(TensorBakerTest, UsesEachChannelsScaleAlongTheChannelAxis) {
  // dims [2, 3]: axis 1 has three channels with scales 1, 2, 4.
  TensorQuantConfig config;
  config.policy = kPerChannel | kLinear | kSymmetrical;
  config.channel_axis = 1;
  config.scale = {1.0f, 2.0f, 4.0f};
  std::vector<float> values = {3.3f, 3.3f, 3.3f, -5.1f, -5.1f, -5.1f};
  ThreadPool pool(1);
  BakeTensor(config, {2, 3}, absl::MakeSpan(values), {}, &pool);
  EXPECT_EQ(values, (std::vector<float>{3.0f, 4.0f, 4.0f, -5.0f, -6.0f, -4.0f}));
}

TEST(TensorBakerTest, SolvesDynamicScalePerChannel) {
  TensorQuantConfig config;
  config.policy = kPerChannel | kLinear | kSymmetrical | kDynamic;
  config.channel_axis = 0;
  std::vector<float> values = {1.0f, -2.54f, 0.5f, 0.25f};
  ThreadPool pool(1);
  const TensorBakeResult result = BakeTensor(config, {2, 2}, absl::MakeSpan(values), {}, &pool);
  ASSERT_EQ(result.scale.size(), 2u);
  EXPECT_EQ(result.scale[0], static_cast<float>(2 * static_cast<double>(2.54f) / 255));
  EXPECT_EQ(result.scale[1], static_cast<float>(2 * 0.5 / 255));
  EXPECT_EQ(result.offset, (std::vector<float>{0.0f, 0.0f}));
}

TEST(TensorBakerTest, ReportsMeanSquaredErrorOverAllElements) {
  TensorQuantConfig config;
  config.scale = {1.0f};
  std::vector<float> values = {0.25f, 0.0f, 0.0f, 0.0f};
  ThreadPool pool(1);
  const TensorBakeResult result = BakeTensor(config, {4}, absl::MakeSpan(values), {}, &pool);
  EXPECT_EQ(result.max_abs_error, 0.25);
  EXPECT_EQ(result.mean_squared_error, 0.0625 / 4);
}

TEST(TensorBakerTest, SizesNothingFromTheDimsOfAnEmptyTensor) {
  // The dims after the channel axis multiply beyond int64.
  TensorQuantConfig config;
  config.policy = kPerChannel | kLinear | kSymmetrical;
  config.channel_axis = 1;
  const int64_t huge = int64_t{1} << 62;
  config.scale.assign(3, 0.5f);
  ThreadPool pool(1);
  const TensorBakeResult result = BakeTensor(config, {huge, 3, huge, 0}, {}, {}, &pool);
  EXPECT_EQ(result.scale, config.scale);
  EXPECT_EQ(result.first_non_finite, -1);
}

TEST(TensorBakerTest, ReportsTheFirstBakedValueThatIsNotFinite) {
  // FLT_MAX / 2^120 rounds to 256, and 256 * 2^120 overflows.
  TensorQuantConfig config;
  config.quant_min = -1000;
  config.quant_max = 1000;
  config.scale = {0x1p120f};
  const float max = std::numeric_limits<float>::max();
  std::vector<float> values = {1.0f, -2.0f, max, max};
  ThreadPool pool(1);
  const TensorBakeResult result = BakeTensor(config, {4}, absl::MakeSpan(values), {}, &pool);
  EXPECT_EQ(result.first_non_finite, 2);
  EXPECT_TRUE(std::isinf(values[2]));
  values = {1.0f, -2.0f, 3.0f, 1e30f};
  EXPECT_EQ(BakeTensor(config, {4}, absl::MakeSpan(values), {}, &pool).first_non_finite, -1);
}

TEST(TensorBakerTest, FindsTheFirstNonFiniteValue) {
  const std::vector<float> values = {1.0f, 2.0f, NAN, INFINITY};
  EXPECT_EQ(FirstNonFinite(values), 2);
  EXPECT_EQ(FirstNonFinite(absl::MakeConstSpan(values).first(2)), -1);
}

// Whole blocks are tested by their exponent bits: every finite exponent, the largest
// and subnormals included, passes, and each kind of NaN and infinity, of either
// sign, is found at its index in a block.
TEST(TensorBakerTest, FindsEveryKindOfNonFiniteValueInABlockAndNoFiniteOne) {
  const float max = std::numeric_limits<float>::max();
  const float tiny = std::numeric_limits<float>::denorm_min();
  std::vector<float> values(256);
  for (size_t i = 0; i < values.size(); ++i) {
    const float finite[] = {max, -max, tiny, -tiny, 0.0f, -0.0f, 1.0f, -3.0e38f};
    values[i] = finite[i % 8];
  }
  EXPECT_EQ(FirstNonFinite(values), -1);
  const uint32_t non_finite[] = {0x7f800000u, 0xff800000u, 0x7fc00000u,
                                 0xffc00000u, 0x7f800001u, 0xffffffffu};
  for (const uint32_t bits : non_finite) {
    SCOPED_TRACE(bits);
    std::vector<float> with = values;
    std::memcpy(&with[131], &bits, sizeof(bits));
    EXPECT_EQ(FirstNonFinite(with), 131);
  }
}

// A job checking each chunk as it bakes leaves the chunks that hold a NaN or an
// infinity as they were, bakes the others as an unchecked job does, and names the
// first of those values.
TEST(TensorBakerTest, AJobCheckingEachChunkLeavesABadChunkAsItWas) {
  TensorQuantConfig config;
  config.quant_min = -128;
  config.quant_max = 127;
  config.scale = {0.0078125f};
  const size_t chunk = size_t{1} << 16;
  const std::vector<float> input = RandomValues(4 * chunk + 3, 11);
  std::vector<float> expected = input;
  ThreadPool pool(2);
  BakeTensor(config, {static_cast<int64_t>(expected.size())}, absl::MakeSpan(expected), {}, &pool);

  std::vector<float> values = input;
  values[2 * chunk + 9] = INFINITY;
  values[3 * chunk + 1] = NAN;
  const std::vector<float> unbaked = values;
  TensorBakeJob job(config, {static_cast<int64_t>(values.size())}, absl::MakeSpan(values), {});
  job.CheckEachChunk();
  TensorBakeJob* jobs[] = {&job};
  BakeJobs(jobs, &pool);
  EXPECT_EQ(job.FirstNonFiniteInput(), static_cast<int64_t>(2 * chunk + 9));
  for (size_t i = 0; i < values.size(); ++i) {
    const bool bad_chunk = i / chunk == 2 || i / chunk == 3;
    ASSERT_EQ(FloatBits(values[i]), FloatBits(bad_chunk ? unbaked[i] : expected[i])) << i;
  }

  std::vector<float> finite = input;
  TensorBakeJob clean(config, {static_cast<int64_t>(finite.size())}, absl::MakeSpan(finite), {});
  clean.CheckEachChunk();
  TensorBakeJob* clean_jobs[] = {&clean};
  BakeJobs(clean_jobs, &pool);
  EXPECT_EQ(clean.FirstNonFiniteInput(), -1);
  for (size_t i = 0; i < finite.size(); ++i)
    ASSERT_EQ(FloatBits(finite[i]), FloatBits(expected[i]));
}

// Slices searched in parallel still give the first: here the later slices hold
// non-finite values too, and the last slice is a partial one.
TEST(TensorBakerTest, FindsTheFirstNonFiniteValueOnAPool) {
  std::vector<float> values((size_t{5} << 20) + 7, 0.5f);
  ThreadPool pool(3);
  EXPECT_EQ(FirstNonFinite(values, &pool), -1);
  values.back() = -INFINITY;
  EXPECT_EQ(FirstNonFinite(values, &pool), static_cast<int64_t>(values.size()) - 1);
  values[(size_t{3} << 20) + 1] = NAN;
  values[(size_t{1} << 20) + 5] = INFINITY;
  EXPECT_EQ(FirstNonFinite(values, &pool), (int64_t{1} << 20) + 5);
  values[(size_t{1} << 20) - 1] = NAN;  // the last value of the first slice
  EXPECT_EQ(FirstNonFinite(values, &pool), (int64_t{1} << 20) - 1);
}

}  // namespace
}  // namespace qbake
