// Every case of PPQ's golden file, bit for bit, on every kernel path this CPU has
// (core/kernels/kernel_dispatch.h): baked values, the integer representation where recorded,
// and the solved scale and offset of DYNAMIC cases.
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "core/kernels/kernel_dispatch.h"
#include "core/tensor_baker.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/golden_cases.h"
#include "tests/support/test_data.h"

namespace qbake {
namespace {

using ::qbake::testing::FloatBits;
using ::qbake::testing::GoldenCases;
using ::qbake::testing::GoldenConfig;
using ::qbake::testing::GoldenFloats;

void ExpectSameBits(const std::vector<float>& actual, const nlohmann::json& expected_hex,
                    const std::string& what) {
  const std::vector<float> expected = GoldenFloats(expected_hex);
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(FloatBits(actual[i]), FloatBits(expected[i]))
        << what << "[" << i << "]: got " << actual[i] << ", PPQ has " << expected[i];
  }
}

class PpqGoldenTest : public ::testing::TestWithParam<size_t> {};

void ExpectGoldenBake(const nlohmann::json& c) {
  const TensorQuantConfig config = GoldenConfig(c);
  const std::vector<int64_t> dims = c["shape"].get<std::vector<int64_t>>();
  std::vector<float> values = GoldenFloats(c["input"]);
  std::vector<int32_t> integers(c.contains("expected_int") ? values.size() : 0);
  ThreadPool pool(2);

  const TensorBakeResult result =
      BakeTensor(config, dims, absl::MakeSpan(values), absl::MakeSpan(integers), &pool);

  ExpectSameBits(values, c["expected"], "value");
  if (c.contains("expected_int")) {
    EXPECT_EQ(integers, c["expected_int"].get<std::vector<int32_t>>());
  }
  if (c.contains("solved_scale")) {
    ExpectSameBits(result.scale, c["solved_scale"], "solved scale");
    ExpectSameBits(result.offset, c["solved_offset"], "solved offset");
  }
}

TEST_P(PpqGoldenTest, BakesBitExactlyOnEveryKernelPath) {
  for (KernelPath path : SupportedKernelPaths()) {
    SCOPED_TRACE(std::string(KernelPathName(path)) + " path");
    const ScopedKernelPath scoped(path);
    ASSERT_TRUE(scoped.ok());
    ExpectGoldenBake(GoldenCases()[GetParam()]);
  }
}

std::string CaseName(const ::testing::TestParamInfo<size_t>& info) {
  return absl::StrReplaceAll(GoldenCases()[info.param]["id"].get<std::string>(),
                             {{"/", "_"}, {"-", "_"}});
}

std::vector<size_t> AllCases() {
  std::vector<size_t> indices(GoldenCases().size());
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = i;
  return indices;
}

INSTANTIATE_TEST_SUITE_P(AllCases, PpqGoldenTest, ::testing::ValuesIn(AllCases()), CaseName);

TEST(PpqGoldenFileTest, HoldsEveryCaseTheSpecPromises) { EXPECT_EQ(GoldenCases().size(), 223u); }

}  // namespace
}  // namespace qbake
