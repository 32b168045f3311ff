// Every case of PPQ's golden file, bit for bit, on every kernel path this CPU has
// (core/kernel_dispatch.h): baked values, the integer representation where recorded,
// and the solved scale and offset of DYNAMIC cases.
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "core/kernel_dispatch.h"
#include "core/tensor_baker.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_data.h"

namespace qbake {
namespace {

using ::qbake::testing::FloatBits;
using ::qbake::testing::FloatFromHex;

const nlohmann::json& GoldenCases() {
  static const nlohmann::json* cases = new nlohmann::json(nlohmann::json::parse(
      testing::ReadFileOrDie(testing::TestDataPath("ppq_golden.json")))["cases"]);
  return *cases;
}

std::vector<float> Floats(const nlohmann::json& hexes) {
  std::vector<float> values;
  for (const auto& hex : hexes) values.push_back(FloatFromHex(hex.get<std::string>()));
  return values;
}

TensorQuantConfig ConfigOf(const nlohmann::json& c) {
  TensorQuantConfig config;
  config.policy = c["policy_bits"].get<uint32_t>();
  config.rounding = static_cast<Rounding>(c["rounding_value"].get<int>());
  config.num_of_bits = c["num_of_bits"].get<int>();
  config.exponent_bits = c["exponent_bits"].get<int>();
  config.quant_min = c["quant_min"].get<double>();
  config.quant_max = c["quant_max"].get<double>();
  config.scale = Floats(c["scale"]);
  config.offset = Floats(c["offset"]);
  if (!c["channel_axis"].is_null()) config.channel_axis = c["channel_axis"].get<int>();
  return config;
}

void ExpectSameBits(const std::vector<float>& actual, const nlohmann::json& expected_hex,
                    const std::string& what) {
  const std::vector<float> expected = Floats(expected_hex);
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(FloatBits(actual[i]), FloatBits(expected[i]))
        << what << "[" << i << "]: got " << actual[i] << ", PPQ has " << expected[i];
  }
}

class PpqGoldenTest : public ::testing::TestWithParam<size_t> {};

void ExpectGoldenBake(const nlohmann::json& c) {
  const TensorQuantConfig config = ConfigOf(c);
  const std::vector<int64_t> dims = c["shape"].get<std::vector<int64_t>>();
  std::vector<float> values = Floats(c["input"]);
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

TEST(PpqGoldenFileTest, HoldsEveryCaseTheSpecPromises) {
  EXPECT_EQ(GoldenCases().size(), 223u);
}

}  // namespace
}  // namespace qbake
