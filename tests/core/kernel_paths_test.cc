// Every code path of the bake kernels that this CPU has (portable, AVX2, AVX-512)
// against BAKING.md 3.1-3.3 written out element by element, bit for bit: baked
// values, integers, ranges, and the error statistics in their fixed lane order
// (core/error_stats.h). Inputs are random and adversarial: ties and the floats one
// and two ulps around them, huge values, subnormals, negative zero, and runs of odd
// lengths that start and end inside vectors.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "core/dynamic_range.h"
#include "core/float_bits.h"
#include "core/kernels/kernel_dispatch.h"
#include "core/kernels/kernel_isa_vector.h"
#include "core/rounding.h"
#include "gtest/gtest.h"
#include "tests/support/x86_truncation.h"

namespace qbake {
namespace {

constexpr Rounding kRoundings[] = {Rounding::kHalfEven,
                                   Rounding::kHalfUp,
                                   Rounding::kHalfDown,
                                   Rounding::kHalfTowardsZero,
                                   Rounding::kHalfFarFromZero,
                                   Rounding::kToNearInt,
                                   Rounding::kUp,
                                   Rounding::kDown};

// ---- BAKING.md, one element at a time -------------------------------------------

float SpecRound(Rounding rounding, float v) {
  return DispatchRounding(rounding, [&](auto r) { return Round<decltype(r)::value>(v); });
}
double SpecRoundExact(Rounding rounding, double v) {
  return DispatchRounding(rounding, [&](auto r) { return Round<decltype(r)::value>(v); });
}

// 3.1: q, clamped.
float SpecLinearQ(const LinearParams& p, float x, float s, float o) {
  const float q = SpecRound(p.rounding, x / s) + o;
  return std::min(std::max(q, p.quant_min), p.quant_max);
}

// 3.1's integer representation, as x86 torch converts.
int32_t SpecInteger(float q, IntegerType type) {
  const int32_t truncated = testing::X86TruncateToInt32(q);
  if (type == IntegerType::kInt8) return static_cast<int8_t>(truncated);
  if (type == IntegerType::kUInt8) return static_cast<uint8_t>(truncated);
  return truncated;
}

// 3.2: q of u = x / s.
struct SpecFormat {
  int exponent_bits;
  int mantissa_bits;
  double quant_min;
  double quant_max;

  float Quantize(Rounding rounding, float u) const {
    const int e = exponent_bits;
    const int m = mantissa_bits;
    const auto top = static_cast<float>(std::ldexp(2.0 - std::ldexp(1.0, -m), 1 << (e - 1)));
    const float hi = std::min(static_cast<float>(quant_max), top);
    const float lo = std::max(static_cast<float>(quant_min), -top);
    if (u > hi) return hi;
    if (u < lo) return lo;
    const uint32_t bits = FloatBits(u);
    const int exponent = static_cast<int>((bits >> 23) & 0xff) - 127;
    if (exponent < -(1 << (e - 1)) + 2) {
      const auto step = static_cast<float>(std::ldexp(1.0, -((1 << (e - 1)) + m - 2)));
      const auto steps = static_cast<int64_t>(SpecRoundExact(rounding, u / step));
      return static_cast<float>(steps) * step;
    }
    const int dropped = 23 - m;
    const uint32_t mask = (uint32_t{1} << dropped) - 1;
    const auto carry = static_cast<uint32_t>(
        SpecRoundExact(rounding, std::ldexp(static_cast<double>(bits & mask), -dropped)));
    const float q = FloatFromBits((bits & ~mask) + (carry << dropped));
    return std::min(std::max(q, static_cast<float>(quant_min)), static_cast<float>(quant_max));
  }
};

// core/error_stats.h's order: element i into lane i % kErrorLanes, in index order.
ErrorStats SpecErrors(const std::vector<float>& original, const std::vector<float>& baked) {
  ErrorStats stats;
  for (size_t i = 0; i < original.size(); ++i) {
    const double diff = static_cast<double>(baked[i]) - static_cast<double>(original[i]);
    stats.max_abs = std::max(stats.max_abs, std::fabs(diff));
    stats.lane_sum_squared[i % kErrorLanes] += diff * diff;
  }
  return stats;
}

// ---- Inputs -------------------------------------------------------------------------

void AddWithNeighbours(float x, std::vector<float>* out) {
  float up = x;
  float down = x;
  out->push_back(x);
  for (int ulp = 0; ulp < 2; ++ulp) {
    up = std::nextafter(up, INFINITY);
    down = std::nextafter(down, -INFINITY);
    out->push_back(up);
    out->push_back(down);
  }
}

// k * s and (k + 0.5) * s with their neighbours, for linear ties under scale s.
std::vector<float> LinearTies(float scale) {
  std::vector<float> values;
  for (int k = -300; k <= 300; ++k) {
    AddWithNeighbours(static_cast<float>(k) * scale, &values);
    AddWithNeighbours((static_cast<float>(k) + 0.5f) * scale, &values);
  }
  for (float big : {8388608.0f, 8388609.0f, 16777215.0f, 2147483520.0f, 2147483648.0f}) {
    AddWithNeighbours(big * scale, &values);
    AddWithNeighbours(-big * scale, &values);
  }
  return values;
}

// Float32 patterns around every mantissa position a format may cut at: the tie of
// each position, the all-ones below it (a carry into the exponent), and their
// neighbours, at every exponent; both signs.
std::vector<float> MantissaPatterns() {
  std::vector<float> values;
  for (uint32_t field = 0; field < 255; field += 3) {
    for (int cut = 1; cut <= 23; ++cut) {
      const uint32_t tie = uint32_t{1} << (cut - 1);
      const uint32_t below = (uint32_t{1} << cut) - 1;
      for (uint32_t mantissa : {tie, below, tie | (uint32_t{1} << 22)}) {
        const float x = FloatFromBits((field << 23) | (mantissa & 0x7fffff));
        AddWithNeighbours(x, &values);
        AddWithNeighbours(-x, &values);
      }
    }
  }
  return values;
}

std::vector<float> SpecialValues() {
  return {0.0f,    -0.0f,   FLT_TRUE_MIN, -FLT_TRUE_MIN, FLT_MIN, -FLT_MIN, 1e-40f,
          -1e-40f, FLT_MAX, -FLT_MAX,     1e30f,         -1e30f,  3e9f,     -3e9f};
}

// Normal values of several magnitudes and random finite bit patterns.
std::vector<float> RandomValues(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<uint32_t> bits;
  std::vector<float> values;
  for (size_t i = 0; i < n; ++i) {
    values.push_back(normal(rng) * std::ldexp(1.0f, static_cast<int>(i % 40) - 20));
    float pattern;
    do {
      pattern = FloatFromBits(bits(rng));
    } while (!std::isfinite(pattern));
    values.push_back(pattern);
  }
  return values;
}

std::vector<float> Concat(std::vector<std::vector<float>> parts) {
  std::vector<float> all;
  for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

// Runs of odd lengths (1 to 255) that start and end at every offset in a vector.
struct RunSpec {  // a run with its scale and offset
  size_t begin;
  size_t end;
  float scale;
  float offset;
};

std::vector<RunSpec> OddRuns(size_t n, const std::vector<float>& scales,
                             const std::vector<float>& offsets) {
  static constexpr size_t kLengths[] = {1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 17, 31, 33, 47, 64, 255};
  std::vector<RunSpec> runs;
  for (size_t begin = 0, k = 0; begin < n; ++k) {
    const size_t end = std::min(n, begin + kLengths[k % std::size(kLengths)]);
    runs.push_back({begin, end, scales[k % scales.size()], offsets[k % offsets.size()]});
    begin = end;
  }
  return runs;
}

// ---- Checks ---------------------------------------------------------------------------

uint64_t DoubleBits(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

void ExpectSameErrors(const ErrorStats& actual, const ErrorStats& expected) {
  EXPECT_EQ(DoubleBits(actual.max_abs), DoubleBits(expected.max_abs));
  for (size_t lane = 0; lane < kErrorLanes; ++lane) {
    EXPECT_EQ(DoubleBits(actual.lane_sum_squared[lane]),
              DoubleBits(expected.lane_sum_squared[lane]))
        << "lane " << lane;
  }
}

// Compares bit patterns; stops at the first difference so a broken path reports one
// line, not thousands.
void ExpectSameFloats(const std::vector<float>& actual, const std::vector<float>& expected,
                      const std::vector<float>& input) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_EQ(FloatBits(actual[i]), FloatBits(expected[i]))
        << "element " << i << ": input " << input[i] << " gave " << actual[i] << ", spec "
        << expected[i];
  }
}

class KernelPathTest : public ::testing::TestWithParam<KernelPath> {
 protected:
  const KernelTable& kernels() const { return KernelTableOf(GetParam()); }

  // Bakes `input` run by run into one ErrorStats, as a chunk of a tensor does, and
  // checks values, integers and errors against the spec.
  void CheckLinear(const LinearParams& params, const std::vector<float>& input,
                   const std::vector<RunSpec>& runs) const {
    std::vector<float> values = input;
    std::vector<int32_t> integers(input.size());
    ErrorStats errors;
    std::vector<float> expected(input.size());
    std::vector<int32_t> expected_integers(input.size());
    for (const RunSpec& run : runs) {
      kernels().linear(params, run.scale, run.offset,
                       TensorRun{values.data(), integers.data(), run.begin, run.end}, &errors);
      for (size_t i = run.begin; i < run.end; ++i) {
        const float q = SpecLinearQ(params, input[i], run.scale, run.offset);
        expected[i] = (q - run.offset) * run.scale;
        expected_integers[i] = SpecInteger(q, params.integer_type);
      }
    }
    ExpectSameFloats(values, expected, input);
    EXPECT_EQ(integers, expected_integers);
    ExpectSameErrors(errors, SpecErrors(input, expected));
  }

  void CheckFloating(const SpecFormat& spec, Rounding rounding, const std::vector<float>& input,
                     const std::vector<RunSpec>& runs) const {
    const FloatingFormat format(spec.exponent_bits, spec.mantissa_bits, spec.quant_min,
                                spec.quant_max);
    std::vector<float> values = input;
    ErrorStats errors;
    std::vector<float> expected(input.size());
    for (const RunSpec& run : runs) {
      kernels().floating(format, rounding, run.scale, run.offset,
                         TensorRun{values.data(), nullptr, run.begin, run.end}, &errors);
      for (size_t i = run.begin; i < run.end; ++i) {
        const float q = spec.Quantize(rounding, input[i] / run.scale);
        expected[i] = (q - run.offset) * run.scale;
      }
    }
    ExpectSameFloats(values, expected, input);
    ExpectSameErrors(errors, SpecErrors(input, expected));
  }
};

TEST_P(KernelPathTest, LinearMatchesTheSpecForEveryRoundingAndIntegerType) {
  const std::vector<float> scales = {1.0f, 0.1f, 0.0078125f, 3.7e-3f};
  const std::vector<float> input =
      Concat({LinearTies(0.1f), LinearTies(3.7e-3f), SpecialValues(), RandomValues(3000, 1)});
  struct Range {
    IntegerType type;
    float quant_min, quant_max;
    std::vector<float> offsets;
  };
  const Range ranges[] = {{IntegerType::kInt8, -128, 127, {0.0f}},
                          {IntegerType::kUInt8, 0, 255, {128.0f, 0.0f, 3.0f}},
                          {IntegerType::kInt32, -3e9f, 3e9f, {0.0f, -7.0f}}};
  for (const Range& range : ranges) {
    const std::vector<RunSpec> runs = OddRuns(input.size(), scales, range.offsets);
    for (Rounding rounding : kRoundings) {
      SCOPED_TRACE(std::string(RoundingName(rounding)));
      CheckLinear({rounding, range.quant_min, range.quant_max, range.type}, input, runs);
    }
  }
}

TEST_P(KernelPathTest, FloatingMatchesTheSpecForEveryFormatAndRounding) {
  const SpecFormat formats[] = {{4, 3, -448, 448},
                                {4, 3, -480, 480},
                                {5, 2, -57344, 57344},
                                {2, 1, -6, 6},
                                {3, 2, -28, 28},
                                {2, 3, -7.5, 7.5},
                                {1, 0, -2, 2},
                                {8, 7, -1e38, 1e38},
                                {5, 10, -1e9, 1e9},
                                {8, 23, -1e38, 1e38},
                                // Uneven ranges, and ranges inside the subnormals or
                                // starting at 0 (no magnitude is taken as it is).
                                {4, 3, -100, 448},
                                {5, 2, -57344, 3},
                                {4, 3, 0, 448},
                                {4, 3, -0.01, 0.01}};
  const std::vector<float> input =
      Concat({MantissaPatterns(), SpecialValues(), RandomValues(2000, 2)});
  // Powers of two keep u = x / s on the patterns; 0.3 does not.
  const std::vector<RunSpec> runs = OddRuns(input.size(), {1.0f, 0.25f, 0.3f}, {0.0f});
  const std::vector<RunSpec> offset_runs = OddRuns(input.size(), {0.25f}, {0.0f, 1.5f});
  for (const SpecFormat& format : formats) {
    for (Rounding rounding : kRoundings) {
      SCOPED_TRACE("E" + std::to_string(format.exponent_bits) + "M" +
                   std::to_string(format.mantissa_bits) + " " +
                   std::string(RoundingName(rounding)));
      CheckFloating(format, rounding, input, runs);
    }
  }
  CheckFloating(formats[0], Rounding::kHalfEven, input, offset_runs);
}

TEST_P(KernelPathTest, ObservesTheRangeWidenedToZero) {
  const std::vector<float> input = Concat({SpecialValues(), RandomValues(1000, 3)});
  for (const RunSpec& run : OddRuns(input.size(), {1.0f}, {0.0f})) {
    const ValueRange range = kernels().range(input.data(), run.begin, run.end);
    float lo = 0;
    float hi = 0;
    for (size_t i = run.begin; i < run.end; ++i) {
      lo = std::min(lo, input[i]);
      hi = std::max(hi, input[i]);
    }
    ASSERT_EQ(FloatBits(range.min), FloatBits(lo)) << run.begin;
    ASSERT_EQ(FloatBits(range.max), FloatBits(hi)) << run.begin;
  }
}

TEST_P(KernelPathTest, GivesPositiveZeroRangesForNegativeZeros) {
  const std::vector<float> zeros(37, -0.0f);
  const ValueRange range = kernels().range(zeros.data(), 3, 37);
  EXPECT_EQ(FloatBits(range.min), 0u);
  EXPECT_EQ(FloatBits(range.max), 0u);
}

TEST_P(KernelPathTest, SumsErrorsByTensorIndexHoweverRunsSplitTheTensor) {
  const std::vector<float> input = RandomValues(1000, 4);
  const LinearParams params{Rounding::kHalfEven, -128, 127, IntegerType::kInt8};
  std::vector<float> whole = input;
  ErrorStats whole_errors;
  kernels().linear(params, 0.01f, 0, TensorRun{whole.data(), nullptr, 0, whole.size()},
                   &whole_errors);
  std::vector<float> split = input;
  ErrorStats split_errors;
  for (const RunSpec& run : OddRuns(input.size(), {0.01f}, {0.0f})) {
    kernels().linear(params, 0.01f, 0, TensorRun{split.data(), nullptr, run.begin, run.end},
                     &split_errors);
  }
  ExpectSameFloats(split, whole, input);
  ExpectSameErrors(split_errors, whole_errors);
}

TEST_P(KernelPathTest, LeavesValuesOutsideTheRunUntouched) {
  std::vector<float> values(40, 0.3f);
  std::vector<int32_t> integers(40, 99);
  ErrorStats errors;
  kernels().linear({Rounding::kHalfEven, -128, 127, IntegerType::kInt8}, 1.0f, 0,
                   TensorRun{values.data(), integers.data(), 5, 21}, &errors);
  for (size_t i = 0; i < values.size(); ++i) {
    const bool inside = i >= 5 && i < 21;
    EXPECT_EQ(values[i], inside ? 0.0f : 0.3f) << i;
    EXPECT_EQ(integers[i], inside ? 0 : 99) << i;
  }
}

// The edges of rounding to an integer and truncating to int32, which the portable
// path computes in IEEE arithmetic (2^23 added and subtracted) rather than with an
// instruction: ties and their neighbours from 0.5 to 2^24, +-2^23 and +-2^31 and
// around, zeros, subnormals, the largest floats, infinities and NaNs. With scale 1,
// offset 0 and an unbounded quant range, the baked value is R(x) + 0 and the int32 its
// truncation; runs of every length from 0 to 9 at every offset in a 16-element block.
// (The + 0 hides a zero's sign: PortableRoundingTest checks that.)
std::vector<float> RoundingEdges() {
  std::vector<float> values;
  for (float tie = 0.5f; tie < 16777216.0f; tie *= 2.0f) {
    for (float x : {tie, tie + 0.5f, tie + 1.0f, tie * 1.5f, 3.0f * tie + 0.5f}) {
      AddWithNeighbours(x, &values);
      AddWithNeighbours(-x, &values);
    }
  }
  for (float big : {8388607.5f, 8388608.0f, 8388609.0f, 16777216.0f, 16777218.0f, 2147483520.0f,
                    2147483648.0f, 2147483904.0f, 4294967296.0f}) {
    AddWithNeighbours(big, &values);
    AddWithNeighbours(-big, &values);
  }
  for (float x : {0.0f, FLT_TRUE_MIN, 2.0f * FLT_TRUE_MIN, 1e-40f, FLT_MIN, 0.25f, 0.49999997f,
                  0.50000006f, 0.99999994f, FLT_MAX, INFINITY}) {
    values.push_back(x);
    values.push_back(-x);
  }
  values.push_back(std::nanf(""));
  values.push_back(-std::nanf(""));
  values.push_back(FloatFromBits(0x7fc12345u));  // a quiet NaN with a payload
  return values;
}

TEST_P(KernelPathTest, RoundsAndTruncatesEdgeValuesInRunsOfEveryLength) {
  const std::vector<float> input = RoundingEdges();
  std::vector<RunSpec> runs;
  for (size_t begin = 0, k = 0; begin < input.size(); ++k) {
    const size_t end = std::min(input.size(), begin + k % 10);
    runs.push_back({begin, end, 1.0f, 0.0f});
    begin = end;
  }
  for (Rounding rounding : kRoundings) {
    SCOPED_TRACE(std::string(RoundingName(rounding)));
    const LinearParams params{rounding, -INFINITY, INFINITY, IntegerType::kInt32};
    std::vector<float> values = input;
    std::vector<int32_t> integers(input.size(), 7);
    ErrorStats errors;
    for (const RunSpec& run : runs) {
      kernels().linear(params, run.scale, run.offset,
                       TensorRun{values.data(), integers.data(), run.begin, run.end}, &errors);
    }
    std::vector<float> expected(input.size());
    std::vector<int32_t> expected_integers(input.size());
    for (size_t i = 0; i < input.size(); ++i) {
      const float q = SpecLinearQ(params, input[i], 1.0f, 0.0f);
      expected[i] = (q - 0.0f) * 1.0f;
      expected_integers[i] = SpecInteger(q, IntegerType::kInt32);
    }
    ExpectSameFloats(values, expected, input);
    EXPECT_EQ(integers, expected_integers);
  }
}

// The portable path's roundings and truncation, lane by lane against core/rounding.h
// on plain numbers (libm) and cvttss2si, by bits: here a zero's sign counts too.
TEST(PortableRoundingTest, RoundsFloatLanesLikeLibm) {
  using Isa = simd::PortableIsa;
  const std::vector<float> input = RoundingEdges();
  for (Rounding rounding : kRoundings) {
    SCOPED_TRACE(std::string(RoundingName(rounding)));
    for (size_t i = 0; i < input.size(); ++i) {
      Isa::F lanes;
      for (size_t lane = 0; lane < Isa::kWidth; ++lane) {
        lanes.v[lane] = input[(i + lane * 7) % input.size()];
      }
      const Isa::F rounded =
          DispatchRounding(rounding, [&](auto r) { return Round<decltype(r)::value>(lanes); });
      const Isa::I truncated = Isa::TruncateToInt32(lanes);
      for (size_t lane = 0; lane < Isa::kWidth; ++lane) {
        const float x = lanes.v[lane];
        ASSERT_EQ(FloatBits(rounded.v[lane]), FloatBits(SpecRound(rounding, x))) << x;
        ASSERT_EQ(static_cast<int32_t>(truncated.v[lane]), testing::X86TruncateToInt32(x)) << x;
      }
    }
  }
}

TEST(PortableRoundingTest, RoundsDoubleLanesLikeLibm) {
  using Isa = simd::PortableIsa;
  std::vector<double> input;
  for (double tie = 0.5; tie < 0x1p54; tie *= 2.0) {
    for (double x : {tie, tie + 0.5, tie + 1.0, tie * 1.5, 3.0 * tie + 0.5}) {
      double up = x;
      double down = x;
      for (int ulp = 0; ulp < 3; ++ulp) {
        for (double v : {x, up, down}) {
          input.push_back(v);
          input.push_back(-v);
        }
        up = std::nextafter(up, INFINITY);
        down = std::nextafter(down, -INFINITY);
      }
    }
  }
  for (double x : {0.0, 0x1p-1074, 1e-310, DBL_MIN, 0.25, 0.49999999999999994, DBL_MAX,
                   static_cast<double>(INFINITY), std::nan("")}) {
    input.push_back(x);
    input.push_back(-x);
  }
  for (Rounding rounding : kRoundings) {
    SCOPED_TRACE(std::string(RoundingName(rounding)));
    for (size_t i = 0; i < input.size(); ++i) {
      Isa::D lanes;
      for (size_t lane = 0; lane < Isa::kDWidth; ++lane) {
        lanes.v[lane] = input[(i + lane * 5) % input.size()];
      }
      const Isa::D rounded =
          DispatchRounding(rounding, [&](auto r) { return Round<decltype(r)::value>(lanes); });
      for (size_t lane = 0; lane < Isa::kDWidth; ++lane) {
        const double x = lanes.v[lane];
        ASSERT_EQ(DoubleBits(rounded.v[lane]), DoubleBits(SpecRoundExact(rounding, x))) << x;
      }
    }
  }
}

TEST(PortableRoundingTest, ConvertsBetweenFloatAndDoubleHalves) {
  using Isa = simd::PortableIsa;
  const Isa::F value = Isa::F::Wrap(Isa::F::Raw{1.5f, -0.0f, FLT_TRUE_MIN, -FLT_MAX});
  const auto halves = Isa::ToDoubles(value);
  EXPECT_EQ(halves[0].v[0], 1.5);
  EXPECT_EQ(DoubleBits(halves[0].v[1]), DoubleBits(-0.0));
  EXPECT_EQ(halves[1].v[0], static_cast<double>(FLT_TRUE_MIN));
  EXPECT_EQ(halves[1].v[1], -static_cast<double>(FLT_MAX));
  const Isa::F back = Isa::FromDoubles(halves);
  for (size_t lane = 0; lane < Isa::kWidth; ++lane) {
    EXPECT_EQ(FloatBits(back.v[lane]), FloatBits(value.v[lane])) << lane;
  }
  EXPECT_FALSE(Isa::Any(Isa::LanesBetween(2, 2)));
  for (size_t lane = 0; lane < Isa::kWidth; ++lane) {
    EXPECT_TRUE(Isa::Any(Isa::LanesBetween(lane, lane + 1))) << lane;
  }
}

std::string PathName(const ::testing::TestParamInfo<KernelPath>& info) {
  return std::string(KernelPathName(info.param));
}

INSTANTIATE_TEST_SUITE_P(SupportedPaths, KernelPathTest,
                         ::testing::ValuesIn(SupportedKernelPaths()), PathName);

TEST(KernelDispatchTest, NamesEveryPath) {
  for (KernelPath path : {KernelPath::kPortable, KernelPath::kAvx2, KernelPath::kAvx512}) {
    EXPECT_EQ(KernelPathFromName(KernelPathName(path)), path);
  }
  EXPECT_EQ(KernelPathName(KernelPath::kPortable), "portable");
  EXPECT_EQ(KernelPathFromName("scalar"), KernelPath::kPortable);  // its former name
  EXPECT_EQ(KernelPathFromName("sse9"), std::nullopt);
}

TEST(KernelDispatchTest, EveryCpuHasThePortablePathFirst) {
  ASSERT_FALSE(SupportedKernelPaths().empty());
  EXPECT_EQ(SupportedKernelPaths().front(), KernelPath::kPortable);
}

TEST(KernelDispatchTest, ScopedPathSwitchesAndRestores) {
  const KernelPath before = ActiveKernelPath();
  for (KernelPath path : SupportedKernelPaths()) {
    {
      const ScopedKernelPath scoped(path);
      ASSERT_TRUE(scoped.ok());
      EXPECT_EQ(ActiveKernelPath(), path);
      EXPECT_EQ(&ActiveKernels(), &KernelTableOf(path));
    }
    EXPECT_EQ(ActiveKernelPath(), before);
  }
}

TEST(KernelDispatchTest, ActivatesTheBestPathUnlessQbakeKernelNamesASupportedOne) {
  const std::vector<KernelPath> supported = SupportedKernelPaths();
  KernelPath expected = supported.back();
  if (const char* forced = std::getenv("QBAKE_KERNEL")) {
    const std::optional<KernelPath> named = KernelPathFromName(forced);
    if (named && std::count(supported.begin(), supported.end(), *named) > 0) expected = *named;
  }
  EXPECT_EQ(ActiveKernelPath(), expected);
}

}  // namespace
}  // namespace qbake
