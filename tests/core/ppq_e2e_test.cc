// Every model PPQ quantized in tests/data/ppq_e2e: baking model.onnx with PPQ's own
// config file gives every parameter of expected_baked.onnx bit for bit, and every
// state of states.json.
#include <map>
#include <string>
#include <vector>

#include "core/bake_session.h"
#include "core/graph_index.h"
#include "core/parameter_values.h"
#include "core/ppq_config_document.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_data.h"

namespace qbake {
namespace {

using ::qbake::testing::FloatBits;

onnx::ModelProto LoadModel(const std::string& path) {
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(testing::ReadFileOrDie(path))) << path;
  return model;
}

// Every parameter (initializer or Constant value) by name.
std::map<std::string, const onnx::TensorProto*> Parameters(const onnx::ModelProto& model) {
  std::map<std::string, const onnx::TensorProto*> parameters;
  for (const auto& tensor : model.graph().initializer()) parameters[tensor.name()] = &tensor;
  for (const auto& node : model.graph().node()) {
    if (node.op_type() != "Constant") continue;
    for (const auto& attribute : node.attribute()) {
      if (attribute.name() == "value") parameters[node.output(0)] = &attribute.t();
    }
  }
  return parameters;
}

class PpqE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string CasePath(const std::string& file) const {
    return testing::TestDataPath("ppq_e2e/" + GetParam() + "/" + file);
  }
};

TEST_P(PpqE2eTest, BakesEveryParameterAndStateLikePpq) {
  onnx::ModelProto model = LoadModel(CasePath("model.onnx"));
  const onnx::ModelProto expected = LoadModel(CasePath("expected_baked.onnx"));
  absl::StatusOr<PpqConfigDocument> document =
      PpqConfigDocument::Parse(testing::ReadFileOrDie(CasePath("ppq_config.json")));
  ASSERT_TRUE(document.ok()) << document.status();
  ThreadPool pool(2);
  BakeSession session(&pool, BakeOptions{});

  absl::StatusOr<BakeOutcome> outcome = session.Run(&model, document->specs());
  ASSERT_TRUE(outcome.ok()) << outcome.status();

  const auto actual_parameters = Parameters(model);
  const auto expected_parameters = Parameters(expected);
  ASSERT_EQ(actual_parameters.size(), expected_parameters.size());
  for (const auto& [name, expected_tensor] : expected_parameters) {
    ASSERT_TRUE(actual_parameters.count(name)) << name;
    const onnx::TensorProto& actual_tensor = *actual_parameters.at(name);
    EXPECT_EQ(actual_tensor.data_type(), expected_tensor->data_type()) << name;
    if (!IsBakeableElementType(expected_tensor->data_type())) {  // shapes, indices: never baked
      EXPECT_EQ(actual_tensor.SerializeAsString(), expected_tensor->SerializeAsString()) << name;
      continue;
    }
    const auto actual_values = ReadParameterValues(actual_tensor);
    const auto expected_values = ReadParameterValues(*expected_tensor);
    ASSERT_TRUE(actual_values.ok() && expected_values.ok()) << name;
    ASSERT_EQ(actual_values->size(), expected_values->size()) << name;
    for (size_t i = 0; i < actual_values->size(); ++i) {
      ASSERT_EQ(FloatBits((*actual_values)[i]), FloatBits((*expected_values)[i]))
          << name << "[" << i << "]";
    }
  }

  const nlohmann::json states =
      nlohmann::json::parse(testing::ReadFileOrDie(CasePath("states.json")));
  const auto& specs = document->specs();
  for (const auto& [variable, state] : states.items()) {
    bool found = false;
    for (size_t i = 0; i < specs.size(); ++i) {
      if (specs[i].variable != variable || specs[i].operation != state["operation"]) continue;
      found = true;
      EXPECT_EQ(StateName(specs[i].state), state["before"].get<std::string>()) << variable;
      EXPECT_EQ(StateName(outcome->configs[i].state_after), state["after"].get<std::string>())
          << variable;
    }
    EXPECT_TRUE(found) << "no config for " << variable;
  }
}

TEST_P(PpqE2eTest, LeavesEveryNodeAndNameAsItWas) {
  onnx::ModelProto model = LoadModel(CasePath("model.onnx"));
  const onnx::ModelProto original = model;
  absl::StatusOr<PpqConfigDocument> document =
      PpqConfigDocument::Parse(testing::ReadFileOrDie(CasePath("ppq_config.json")));
  ASSERT_TRUE(document.ok()) << document.status();
  ThreadPool pool(1);
  ASSERT_TRUE(BakeSession(&pool, BakeOptions{}).Run(&model, document->specs()).ok());

  ASSERT_EQ(model.graph().node_size(), original.graph().node_size());
  ASSERT_EQ(model.graph().initializer_size(), original.graph().initializer_size());
  for (int i = 0; i < model.graph().initializer_size(); ++i) {
    const auto& baked = model.graph().initializer(i);
    const auto& before = original.graph().initializer(i);
    EXPECT_EQ(baked.name(), before.name());
    EXPECT_EQ(baked.raw_data().size(), before.raw_data().size());
    EXPECT_EQ(baked.float_data_size(), before.float_data_size());
  }
  EXPECT_EQ(model.graph().input_size(), original.graph().input_size());
  EXPECT_EQ(model.ir_version(), original.ir_version());
}

INSTANTIATE_TEST_SUITE_P(SharedCases, PpqE2eTest, ::testing::ValuesIn(testing::E2eCaseNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace qbake
