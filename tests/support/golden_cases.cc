#include "tests/support/golden_cases.h"

#include <string>

#include "tests/support/test_data.h"

namespace qbake::testing {

const nlohmann::json& GoldenCases() {
  static const nlohmann::json* cases = new nlohmann::json(
      nlohmann::json::parse(ReadFileOrDie(TestDataPath("ppq_golden.json")))["cases"]);
  return *cases;
}

std::vector<float> GoldenFloats(const nlohmann::json& hexes) {
  std::vector<float> values;
  for (const auto& hex : hexes) values.push_back(FloatFromHex(hex.get<std::string>()));
  return values;
}

TensorQuantConfig GoldenConfig(const nlohmann::json& golden_case) {
  const nlohmann::json& c = golden_case;
  TensorQuantConfig config;
  config.policy = c["policy_bits"].get<uint32_t>();
  config.rounding = static_cast<Rounding>(c["rounding_value"].get<int>());
  config.num_of_bits = c["num_of_bits"].get<int>();
  config.exponent_bits = c["exponent_bits"].get<int>();
  config.quant_min = c["quant_min"].get<double>();
  config.quant_max = c["quant_max"].get<double>();
  config.scale = GoldenFloats(c["scale"]);
  config.offset = GoldenFloats(c["offset"]);
  if (!c["channel_axis"].is_null()) config.channel_axis = c["channel_axis"].get<int>();
  return config;
}

}  // namespace qbake::testing
