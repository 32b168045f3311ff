// ExternalizedModel: while it lives, the model's large tensors are external data
// under locations of their own, their bytes held aside; afterwards the model is
// exactly as it was.
#include "client/externalized_model.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/model_builder.h"
#include "tests/support/model_parameters.h"

namespace qbake::testing {
namespace {

// "small" holds 64 bytes; "large", "typed" and the Constant's "k" 400 each, "typed"
// in float_data, "large" with an explicit DEFAULT data_location.
onnx::ModelProto Model() {
  onnx::ModelProto model =
      ModelBuilder()
          .Node("Mul", "mul", {"x", "large"}, {"y"})
          .Initializer(MakeTensor("small", {16}, std::vector<float>(16, 1.5f)))
          .Initializer(MakeTensor("large", {100}, std::vector<float>(100, 2.5f)))
          .Initializer(MakeTensor("typed", {100}, std::vector<float>(100, 3.5f),
                                  onnx::TensorProto::FLOAT, Storage::kTyped))
          .Constant(MakeTensor("k", {10, 10}, std::vector<float>(100, 4.5f)))
          .model();
  model.mutable_graph()->mutable_initializer(1)->set_data_location(onnx::TensorProto::DEFAULT);
  return model;
}

TEST(ExternalizedModelTest, MovesOutTheRawDataOfTensorsAboveTheThreshold) {
  onnx::ModelProto model = Model();
  const ExternalizedModel externalized(&model, 100);
  ASSERT_EQ(externalized.external().size(), 2u);
  EXPECT_EQ(externalized.external_bytes(), 800u);
  const onnx::TensorProto& large = model.graph().initializer(1);
  const onnx::TensorProto& k = model.graph().node(1).attribute(0).t();
  EXPECT_EQ(large.data_location(), onnx::TensorProto::EXTERNAL);
  EXPECT_FALSE(large.has_raw_data());
  EXPECT_EQ(ExternalEntries(large),
            (std::map<std::string, std::string>{
                {"location", "qbake-stream/0"}, {"offset", "0"}, {"length", "400"}}));
  EXPECT_EQ(ExternalEntries(k).at("location"), "qbake-stream/1");
  EXPECT_EQ(externalized.external()[1].location, "qbake-stream/1");
  EXPECT_TRUE(externalized.external()[1].bytes ==
              Model().graph().node(1).attribute(0).t().raw_data());
  EXPECT_TRUE(model.graph().initializer(0).has_raw_data());        // small
  EXPECT_EQ(model.graph().initializer(2).float_data_size(), 100);  // typed
  EXPECT_EQ(model.graph().initializer(2).data_location(), onnx::TensorProto::DEFAULT);
}

TEST(ExternalizedModelTest, RestoresTheModelExactly) {
  onnx::ModelProto model = Model();
  { const ExternalizedModel externalized(&model, 100); }
  EXPECT_TRUE(model.SerializeAsString() == Model().SerializeAsString());
  EXPECT_TRUE(model.graph().initializer(1).has_data_location());
  EXPECT_FALSE(model.graph().node(1).attribute(0).t().has_data_location());
}

TEST(ExternalizedModelTest, LeavesTensorsAlreadyExternalAlone) {
  onnx::ModelProto model = Model();
  onnx::TensorProto* large = model.mutable_graph()->mutable_initializer(1);
  large->set_data_location(onnx::TensorProto::EXTERNAL);
  const std::string before = model.SerializeAsString();
  {
    const ExternalizedModel externalized(&model, 100);
    EXPECT_EQ(externalized.external().size(), 1u);  // only k
    EXPECT_EQ(ExternalEntries(*large).size(), 0u);
  }
  EXPECT_TRUE(model.SerializeAsString() == before);
}

}  // namespace
}  // namespace qbake::testing
