#include "core/graph_index.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/support/test_data.h"

namespace qbake {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// conv reads initializers w and b; add reads k once and square reads it twice, both
// before the Constant node that makes k; f is a Constant with value_float.
constexpr char kGraph[] = R"pb(
  node { name: "conv" op_type: "Conv" input: "x" input: "w" input: "b" output: "y" }
  node { name: "add" op_type: "Add" input: "y" input: "k" output: "z" }
  node { name: "square" op_type: "Mul" input: "k" input: "k" output: "z2" }
  node {
    name: "make_k"
    op_type: "Constant"
    output: "k"
    attribute {
      name: "value"
      type: TENSOR
      t { dims: 1 data_type: 1 float_data: 2 }
    }
  }
  node {
    name: "make_f"
    op_type: "Constant"
    output: "f"
    attribute { name: "value_float" type: FLOAT f: 3 }
  }
  node { name: "resize" op_type: "Resize" input: "z" input: "" input: "f" output: "r" }
  node { op_type: "Relu" input: "r" output: "out" }
  initializer { name: "w" dims: 2 dims: 1 data_type: 1 float_data: 1 float_data: 2 }
  initializer { name: "b" dims: 2 data_type: 1 float_data: 0 float_data: 0 }
  initializer { name: "unused" dims: 1 data_type: 1 float_data: 0 }
)pb";

class GraphIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(kGraph, &graph_));
  }

  onnx::GraphProto graph_;
};

TEST_F(GraphIndexTest, FindsNodesByName) {
  GraphIndex index(&graph_);
  ASSERT_NE(index.FindNode("add"), nullptr);
  EXPECT_EQ(index.FindNode("add"), &graph_.node(1));
  EXPECT_EQ(index.FindNode("make_k")->op_type(), "Constant");
  EXPECT_EQ(index.FindNode("missing"), nullptr);
  EXPECT_EQ(index.FindNode(""), nullptr);  // the unnamed Relu is not indexed
}

TEST_F(GraphIndexTest, InitializersAreParametersWithEveryConsumingSlot) {
  GraphIndex index(&graph_);
  const ParameterRef* w = index.FindParameter("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->name, "w");
  EXPECT_EQ(w->tensor, &graph_.initializer(0));
  EXPECT_FALSE(w->in_constant_node);
  EXPECT_THAT(w->consumers, ElementsAre(&graph_.node(0)));
  EXPECT_THAT(index.FindParameter("unused")->consumers, IsEmpty());
}

TEST_F(GraphIndexTest, ConstantValueIsAParameterNamedByItsOutput) {
  GraphIndex index(&graph_);
  ParameterRef* k = index.FindParameter("k");
  ASSERT_NE(k, nullptr);
  EXPECT_TRUE(k->in_constant_node);
  EXPECT_EQ(k->tensor, &graph_.node(3).attribute(0).t());
  // Written through the index, the change lands in the Constant node.
  k->tensor->set_float_data(0, 5);
  EXPECT_EQ(graph_.node(3).attribute(0).t().float_data(0), 5);
}

TEST_F(GraphIndexTest, ConsumersCountEverySlotEvenBeforeTheConstantNode) {
  GraphIndex index(&graph_);
  // `add` reads k once and `square` twice; both come before the Constant node.
  EXPECT_THAT(index.FindParameter("k")->consumers,
              ElementsAre(&graph_.node(1), &graph_.node(2), &graph_.node(2)));
}

TEST_F(GraphIndexTest, ConstantWithoutValueTensorIsNotAParameter) {
  GraphIndex index(&graph_);
  EXPECT_EQ(index.FindParameter("f"), nullptr);
}

TEST_F(GraphIndexTest, OmittedOptionalInputsAndActivationsAreNotParameters) {
  GraphIndex index(&graph_);
  EXPECT_EQ(index.FindParameter(""), nullptr);
  EXPECT_EQ(index.FindParameter("x"), nullptr);
  EXPECT_EQ(index.FindParameter("y"), nullptr);
}

TEST_F(GraphIndexTest, InitializerWinsOverConstantOfTheSameName) {
  onnx::TensorProto* shadow = graph_.mutable_node(3)->mutable_attribute(0)->mutable_t();
  graph_.mutable_node(3)->set_output(0, "w");
  GraphIndex index(&graph_);
  EXPECT_EQ(index.FindParameter("w")->tensor, &graph_.initializer(0));
  EXPECT_NE(index.FindParameter("w")->tensor, shadow);
}

TEST(GraphIndexModelTest, IndexesPpqExportedModel) {
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(
      testing::ReadFileOrDie(testing::TestDataPath("ppq_e2e/synth_trt_int8/model.onnx"))));
  GraphIndex index(model.mutable_graph());
  const onnx::NodeProto* gemm = index.FindNode("/fc/Gemm");
  ASSERT_NE(gemm, nullptr);
  const ParameterRef* weight = index.FindParameter("fc.weight");
  ASSERT_NE(weight, nullptr);
  EXPECT_THAT(weight->consumers, ElementsAre(gemm));
  EXPECT_THAT(weight->tensor->dims(), ElementsAre(32, 2048));
  EXPECT_NE(index.FindParameter("/Constant_output_0"), nullptr);
}

}  // namespace
}  // namespace qbake
