// `qbake bake` on every PPQ end-to-end case: the baked parameters equal PPQ's bit for
// bit, nothing else in the model changes, the config states match PPQ's, and the
// report carries the parameters and timings.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/parameter_values.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_test_support.h"
#include "tests/support/model_parameters.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

using nlohmann::json;

// Each float parameter's element type, shape and the float32 bytes of its values (FLOAT16 and
// BFLOAT16 widen exactly, so equal bytes mean equal stored bits). Values, not protos,
// are compared: PPQ's export stores every tensor as raw_data, while qbake keeps the
// storage form of the input (some inputs use float_data).
std::map<std::string, std::string> ParameterValues(onnx::ModelProto model) {
  std::map<std::string, std::string> parameters;
  for (const auto& [name, tensor] : Parameters(&model)) {
    // Integer tensors (shapes, indices) are never baked: compared whole.
    if (!IsBakeableElementType(tensor->data_type())) {
      parameters[name] = tensor->SerializeAsString();
      continue;
    }
    absl::StatusOr<std::vector<float>> values = ReadParameterValues(*tensor);
    EXPECT_TRUE(values.ok()) << name << ": " << values.status();
    parameters[name] = absl::StrCat(tensor->data_type(), " [", absl::StrJoin(tensor->dims(), ","),
                                    "] ", FloatBytes(values.value_or(std::vector<float>())));
  }
  return parameters;
}

// The model with the values of its float parameters removed: what a bake must not touch.
std::string WithoutParameterValues(onnx::ModelProto model) {
  for (const auto& [name, tensor] : Parameters(&model)) {
    tensor->clear_raw_data();
    tensor->clear_float_data();
    tensor->clear_int32_data();
  }
  return model.SerializeAsString();
}

class BakeE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string CasePath(const std::string& file) const {
    return TestDataPath("ppq_e2e/" + GetParam() + "/" + file);
  }

  ProcessResult Bake(const std::string& out_model, const std::string& threads) const {
    return RunQbake({"bake", CasePath("model.onnx"), "--config", CasePath("ppq_config.json"),
                     "--output", out_model, "--report", folder_ / "r.json", "--threads", threads});
  }

  ScratchFolder folder_;
};

TEST_P(BakeE2eTest, ParametersEqualPpqBitForBit) {
  const ProcessResult result = Bake(folder_ / "out.onnx", "0");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  const auto baked = ParameterValues(ParseModelOrDie(folder_ / "out.onnx"));
  const auto expected = ParameterValues(ParseModelOrDie(CasePath("expected_baked.onnx")));
  ASSERT_EQ(baked.size(), expected.size());
  for (const auto& [name, bytes] : expected) {
    ASSERT_TRUE(baked.count(name)) << name;
    EXPECT_TRUE(baked.at(name) == bytes) << "parameter " << name << " differs from PPQ's";
  }
}

TEST_P(BakeE2eTest, EverythingButParameterValuesIsUnchanged) {
  ASSERT_EQ(Bake(folder_ / "out.onnx", "0").exit_code, 0);
  EXPECT_TRUE(WithoutParameterValues(ParseModelOrDie(folder_ / "out.onnx")) ==
              WithoutParameterValues(ParseModelOrDie(CasePath("model.onnx"))));
}

TEST_P(BakeE2eTest, ConfigStatesMatchPpq) {
  ASSERT_EQ(Bake(folder_ / "out.onnx", "0").exit_code, 0);
  const json out = json::parse(ReadFileOrDie(folder_ / "out.json"));
  const json states = json::parse(ReadFileOrDie(CasePath("states.json")));
  for (const auto& [variable, state] : states.items()) {
    const std::string operation = state["operation"];
    EXPECT_EQ(out["configs"][operation][variable]["state"], state["after"])
        << operation << " / " << variable;
  }
}

TEST_P(BakeE2eTest, ReportHasParametersCountsAndTimings) {
  const ProcessResult result = Bake(folder_ / "out.onnx", "0");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json report = json::parse(ReadFileOrDie(folder_ / "r.json"));
  const json states = json::parse(ReadFileOrDie(CasePath("states.json")));
  size_t changed = 0;
  for (const auto& [variable, state] : states.items()) changed += state["before"] != state["after"];
  ASSERT_EQ(report["parameters"].size(), changed);
  EXPECT_EQ(report["counts"]["parameters"], changed);
  for (const json& parameter : report["parameters"]) {
    const json& state = states[parameter["variable"].get<std::string>()];
    EXPECT_EQ(parameter["operation"], state["operation"]);
    EXPECT_EQ(parameter["state_before"], state["before"]);
    EXPECT_EQ(parameter["state_after"], state["after"]);
    for (const char* key :
         {"data_type", "elements", "bytes", "max_abs_error", "mean_squared_error"}) {
      EXPECT_TRUE(parameter.contains(key)) << key;
    }
  }
  for (const char* key : {"read_s", "bake_s", "write_s"}) {
    EXPECT_GE(report["timings"][key].get<double>(), 0) << key;
  }
  EXPECT_NE(result.out.find("ACTIVATED -> BAKED:"), std::string::npos) << result.out;
}

TEST_P(BakeE2eTest, OutputIsTheSameForAnyThreadCount) {
  ASSERT_EQ(Bake(folder_ / "one.onnx", "1").exit_code, 0);
  ASSERT_EQ(Bake(folder_ / "three.onnx", "3").exit_code, 0);
  EXPECT_TRUE(ReadFileOrDie(folder_ / "one.onnx") == ReadFileOrDie(folder_ / "three.onnx"));
}

INSTANTIATE_TEST_SUITE_P(PpqCases, BakeE2eTest, ::testing::ValuesIn(E2eCaseNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace qbake::testing
