// The QDQ export of a baked model (core/qdq_export.h): where parameters go, what the
// DequantizeLinear nodes read, the opset it raises and how, the activation pairs and
// the qdq-float form. Each stored form is decoded here as ONNX's DequantizeLinear
// computes it and compared with the baked float32 bits.
#include "core/qdq_export.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/bake_session.h"
#include "core/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/model_builder.h"
#include "tests/support/test_data.h"

namespace qbake {
namespace {

using ::qbake::testing::FloatBits;
using ::qbake::testing::MakeTensor;
using ::qbake::testing::ModelBuilder;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TensorConfigSpec Linear(const std::string& op, const std::string& var, uint32_t policy,
                        std::vector<double> scale, std::vector<double> offset = {},
                        double quant_min = -128, double quant_max = 127) {
  TensorConfigSpec spec;
  spec.operation = op;
  spec.variable = var;
  spec.policy = policy;
  spec.state = QuantState::kActivated;
  spec.scale = std::move(scale);
  spec.offset = std::move(offset);
  spec.quant_min = quant_min;
  spec.quant_max = quant_max;
  if ((policy & kPerChannel) != 0) spec.channel_axis = 0;
  return spec;
}

void SetOpset(onnx::ModelProto* model, int64_t opset, int64_t ir_version) {
  model->set_ir_version(ir_version);
  model->clear_opset_import();
  model->add_opset_import()->set_version(opset);
}

// Bakes `model` in place and exports it.
absl::StatusOr<QdqExportReport> BakeAndExport(onnx::ModelProto* model,
                                              const std::vector<TensorConfigSpec>& specs,
                                              QdqExportOptions options = {false, false}) {
  ThreadPool pool(2);
  absl::StatusOr<BakeOutcome> outcome = BakeSession(&pool, BakeOptions{}).Run(model, specs);
  if (!outcome.ok()) return outcome.status();
  return ExportQdq(model, specs, *outcome, options);
}

const onnx::NodeProto* Producer(const onnx::GraphProto& graph, const std::string& output) {
  for (const auto& node : graph.node()) {
    for (const auto& o : node.output()) {
      if (o == output) return &node;
    }
  }
  return nullptr;
}

const onnx::TensorProto* Initializer(const onnx::GraphProto& graph, const std::string& name) {
  for (const auto& tensor : graph.initializer()) {
    if (tensor.name() == name) return &tensor;
  }
  return nullptr;
}

std::vector<float> Floats(const onnx::TensorProto& tensor) {
  std::vector<float> values(tensor.raw_data().size() / 4);
  std::memcpy(values.data(), tensor.raw_data().data(), tensor.raw_data().size());
  return values;
}

int Position(const onnx::GraphProto& graph, const onnx::NodeProto* node) {
  for (int i = 0; i < graph.node_size(); ++i) {
    if (&graph.node(i) == node) return i;
  }
  return -1;
}

// A Conv reading initializer `w` (also listed as a graph input, as IR 3 models do)
// and a Mul reading the Constant `c`; opset 11.
ModelBuilder ConvAndMul() {
  ModelBuilder builder;
  builder.Node("Conv", "conv", {"x", "w"}, {"y"})
      .Node("Mul", "mul", {"y", "c"}, {"z"})
      .Initializer(MakeTensor("w", {2, 1, 1, 2}, {0.5f, -1.0f, 0.26f, 0.74f}))
      .Constant(MakeTensor("c", {2}, {0.3f, 1.17f}));
  onnx::ModelProto* model = builder.mutable_model();
  model->mutable_graph()->add_input()->set_name("x");
  model->mutable_graph()->add_input()->set_name("w");
  SetOpset(model, 11, 6);
  return builder;
}

TEST(QdqExportTest, StoresAnInitializerAndAConstantBehindDequantizeLinear) {
  ModelBuilder builder = ConvAndMul();
  onnx::ModelProto baked = builder.model();
  const std::vector<TensorConfigSpec> specs = {
      Linear("conv", "w", kPerChannel | kLinear | kSymmetrical, {0.5, 0.25}),
      Linear("mul", "c", kPerTensor | kLinear | kAsymmetrical, {0.1}, {3}, 0, 255)};
  ThreadPool pool(1);
  ASSERT_TRUE(BakeSession(&pool, BakeOptions{}).Run(&baked, specs).ok());

  absl::StatusOr<QdqExportReport> report = BakeAndExport(builder.mutable_model(), specs);
  ASSERT_TRUE(report.ok()) << report.status();
  const onnx::GraphProto& graph = builder.model().graph();

  EXPECT_EQ(report->opset_before, 11);
  EXPECT_EQ(report->opset_after, 13);
  EXPECT_EQ(builder.model().opset_import(0).version(), 13);
  ASSERT_EQ(report->exported.size(), 2u);
  EXPECT_TRUE(report->kept_float.empty());

  const onnx::NodeProto* w = Producer(graph, "w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->op_type(), "DequantizeLinear");
  EXPECT_THAT(w->input(), ElementsAre("w_quantized", "w_scale", "w_zero_point"));
  ASSERT_EQ(w->attribute_size(), 1);
  EXPECT_EQ(w->attribute(0).name(), "axis");
  EXPECT_EQ(w->attribute(0).i(), 0);
  const onnx::TensorProto* q = Initializer(graph, "w_quantized");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->data_type(), onnx::TensorProto::INT8);
  EXPECT_THAT(q->dims(), ElementsAre(2, 1, 1, 2));
  const std::vector<float> scale = Floats(*Initializer(graph, "w_scale"));
  const std::vector<float> expected = Floats(*Initializer(baked.graph(), "w"));
  for (int i = 0; i < 4; ++i) {
    const float dequantized =
        static_cast<float>(static_cast<int8_t>(q->raw_data()[i])) * scale[i / 2];
    EXPECT_EQ(FloatBits(dequantized), FloatBits(expected[i])) << i;
  }
  EXPECT_EQ(Initializer(graph, "w"), nullptr);
  for (const auto& input : graph.input()) EXPECT_NE(input.name(), "w");

  const onnx::NodeProto* c = Producer(graph, "c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->op_type(), "DequantizeLinear");
  EXPECT_EQ(c->attribute_size(), 0);  // per tensor: no axis
  const onnx::NodeProto* constant = Producer(graph, "c_quantized");
  ASSERT_NE(constant, nullptr);
  EXPECT_EQ(constant->op_type(), "Constant");
  EXPECT_EQ(constant->attribute(0).t().data_type(), onnx::TensorProto::UINT8);
  EXPECT_EQ(Position(graph, c), Position(graph, constant) + 1);
}

TEST(QdqExportTest, NewNamesNeverTakeAnExistingOne) {
  ModelBuilder builder = ConvAndMul();
  builder.Initializer(MakeTensor("w_quantized", {1}, {0.0f}));
  absl::StatusOr<QdqExportReport> report = BakeAndExport(
      builder.mutable_model(), {Linear("conv", "w", kPerTensor | kLinear | kSymmetrical, {0.5})});
  ASSERT_TRUE(report.ok()) << report.status();
  const onnx::NodeProto* w = Producer(builder.model().graph(), "w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->input(0), "w_quantized_1");
  EXPECT_EQ(Initializer(builder.model().graph(), "w_quantized")->data_type(),
            onnx::TensorProto::FLOAT);
}

TEST(QdqExportTest, KeepsWhatHasNoExactFormAndSaysWhy) {
  ModelBuilder builder = ConvAndMul();
  TensorConfigSpec fp6 =
      Linear("conv", "w", kPerTensor | kFloating | kSymmetrical | kPowerOf2, {0.5});
  fp6.num_of_bits = 6;
  fp6.exponent_bits = 3;
  fp6.quant_min = -28;
  fp6.quant_max = 28;
  absl::StatusOr<QdqExportReport> report = BakeAndExport(builder.mutable_model(), {fp6});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->exported.empty());
  ASSERT_EQ(report->kept_float.size(), 1u);
  EXPECT_EQ(report->kept_float[0].variable, "w");
  EXPECT_THAT(report->kept_float[0].reason, HasSubstr("E3M2"));
  EXPECT_EQ(Initializer(builder.model().graph(), "w")->data_type(), onnx::TensorProto::FLOAT);
}

TEST(QdqExportTest, Float8RaisesTheOpsetTo19AndMovesReduceAxesToAnInput) {
  ModelBuilder builder;
  builder.Node("MatMul", "matmul", {"x", "w"}, {"y"})
      .Node("ReduceMean", "mean", {"y"}, {"m"})
      .Initializer(MakeTensor("w", {2, 2}, {0.5f, -1.0f, 0.25f, 3.0f}));
  onnx::AttributeProto* axes =
      builder.mutable_model()->mutable_graph()->mutable_node(1)->add_attribute();
  axes->set_name("axes");
  axes->set_type(onnx::AttributeProto::INTS);
  axes->add_ints(1);
  SetOpset(builder.mutable_model(), 17, 8);
  TensorConfigSpec fp8 =
      Linear("matmul", "w", kPerTensor | kFloating | kSymmetrical | kPowerOf2, {1.0});
  fp8.exponent_bits = 4;
  fp8.quant_min = -448;
  fp8.quant_max = 448;

  absl::StatusOr<QdqExportReport> report = BakeAndExport(builder.mutable_model(), {fp8});
  ASSERT_TRUE(report.ok()) << report.status();
  const onnx::ModelProto& model = builder.model();
  EXPECT_EQ(model.opset_import(0).version(), 19);
  EXPECT_GE(model.ir_version(), 9);
  ASSERT_EQ(report->exported.size(), 1u);
  EXPECT_EQ(report->exported[0].data_type, 17);  // FLOAT8E4M3FN
  const onnx::NodeProto* mean = Producer(model.graph(), "m");
  ASSERT_NE(mean, nullptr);
  EXPECT_EQ(mean->attribute_size(), 0);
  ASSERT_EQ(mean->input_size(), 2);
  const onnx::TensorProto* axes_input = Initializer(model.graph(), mean->input(1));
  ASSERT_NE(axes_input, nullptr);
  EXPECT_EQ(axes_input->data_type(), onnx::TensorProto::INT64);
  EXPECT_THAT(axes_input->int64_data(), ElementsAre(1));
  const onnx::TensorProto* q = Initializer(model.graph(), "w_quantized");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->raw_data(), std::string("\x30\xB8\x28\x44", 4));  // 0.5, -1, 0.25, 3
}

TEST(QdqExportTest, PpqsNewerClipAndSliceFormsAreRaisedWithTheConverter) {
  ModelBuilder builder;
  builder.Node("Conv", "conv", {"x", "w"}, {"y"})
      .Node("Clip", "clip", {"y", "lo", "hi"}, {"c"})
      .Node("Slice", "slice", {"c", "starts", "ends", "axes"}, {"s"})
      .Initializer(MakeTensor("w", {1, 1, 1, 1}, {0.5f}))
      .Initializer(MakeTensor("lo", {}, {0.0f}))
      .Initializer(MakeTensor("hi", {}, {6.0f}));
  for (const auto& [name, value] : {std::pair{"starts", 0}, {"ends", 1}, {"axes", 0}}) {
    onnx::TensorProto* tensor = builder.mutable_model()->mutable_graph()->add_initializer();
    tensor->set_name(name);
    tensor->set_data_type(onnx::TensorProto::INT64);
    tensor->add_dims(1);
    tensor->add_int64_data(value);
  }
  onnx::ValueInfoProto* x = builder.mutable_model()->mutable_graph()->add_input();
  x->set_name("x");
  x->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  SetOpset(builder.mutable_model(), 9, 4);

  absl::StatusOr<QdqExportReport> report = BakeAndExport(
      builder.mutable_model(), {Linear("conv", "w", kPerTensor | kLinear | kSymmetrical, {0.5})});
  ASSERT_TRUE(report.ok()) << report.status();
  const onnx::GraphProto& graph = builder.model().graph();
  EXPECT_EQ(builder.model().opset_import(0).version(), 13);
  const onnx::NodeProto* clip = Producer(graph, "c");
  const onnx::NodeProto* slice = Producer(graph, "s");
  ASSERT_TRUE(clip != nullptr && slice != nullptr);
  EXPECT_EQ(clip->input_size(), 3);
  EXPECT_EQ(clip->attribute_size(), 0);
  EXPECT_GE(slice->input_size(), 3);
  EXPECT_EQ(slice->attribute_size(), 0);
  EXPECT_EQ(Initializer(graph, "lo"), nullptr);  // read by no node any more
}

TEST(QdqExportTest, AConverterFailureIsAnErrorAndLeavesTheModel) {
  ModelBuilder builder = ConvAndMul();
  builder.Node("Clip", "clip", {"z", "", "dynamic_bound"}, {"out"});
  SetOpset(builder.mutable_model(), 9, 4);
  const std::vector<TensorConfigSpec> specs = {
      Linear("conv", "w", kPerTensor | kLinear | kSymmetrical, {0.5})};
  ThreadPool pool(1);
  absl::StatusOr<BakeOutcome> outcome =
      BakeSession(&pool, BakeOptions{}).Run(builder.mutable_model(), specs);
  ASSERT_TRUE(outcome.ok());
  const std::string before = builder.model().SerializeAsString();
  absl::StatusOr<QdqExportReport> report =
      ExportQdq(builder.mutable_model(), specs, *outcome, QdqExportOptions{});
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(report.status().message(), HasSubstr("clip"));
  EXPECT_THAT(report.status().message(), HasSubstr("dynamic_bound"));
  EXPECT_EQ(builder.model().SerializeAsString(), before);
}

// A fuzzer finding: ONNX's converter crashed on a graph output nothing makes.
TEST(QdqExportTest, AnUndefinedNameIsRefusedBeforeTheConverterReadsIt) {
  ModelBuilder builder = ConvAndMul();
  builder.mutable_model()->mutable_graph()->add_output()->set_name("made_by_nothing");
  absl::StatusOr<QdqExportReport> report = BakeAndExport(
      builder.mutable_model(), {Linear("conv", "w", kPerTensor | kLinear | kSymmetrical, {0.5})});
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(report.status().message(), HasSubstr("'made_by_nothing'"));
  EXPECT_THAT(report.status().message(), HasSubstr("from 11 to 13"));
}

TEST(QdqExportTest, ActivationPairsFollowPpqsConfigsAndNameEveryDifference) {
  ModelBuilder builder;
  builder.Node("Conv", "conv", {"x", "w"}, {"y"})
      .Node("Relu", "relu", {"y"}, {"r"})
      .Node("Add", "add", {"r", "x"}, {"a"})
      .Initializer(MakeTensor("w", {1, 1, 1, 1}, {0.5f}));
  builder.mutable_model()->mutable_graph()->add_output()->set_name("a");
  SetOpset(builder.mutable_model(), 13, 7);
  TensorConfigSpec ncnn =
      Linear("conv", "x", kPerTensor | kLinear | kSymmetrical, {0.02}, {0}, -127, 127);
  ncnn.rounding = Rounding::kHalfFarFromZero;
  TensorConfigSpec fp8 =
      Linear("add", "x", kPerTensor | kFloating | kSymmetrical | kPowerOf2, {1.0});
  fp8.exponent_bits = 4;
  const std::vector<TensorConfigSpec> specs = {
      Linear("conv", "w", kPerTensor | kLinear | kSymmetrical, {0.5}),
      ncnn,
      Linear("relu", "r", kPerTensor | kLinear | kAsymmetrical, {0.05}, {0}, 0, 255),
      Linear("add", "r", kPerTensor | kLinear | kAsymmetrical, {0.05}, {0}, 0, 255),
      fp8,
      Linear("add", "a", kPerTensor | kLinear | kSymmetrical, {0.1})};
  absl::StatusOr<QdqExportReport> report =
      BakeAndExport(builder.mutable_model(), specs, QdqExportOptions{false, true});
  ASSERT_TRUE(report.ok()) << report.status();
  const onnx::GraphProto& graph = builder.model().graph();

  ASSERT_EQ(report->activations.size(), 5u);  // in config order
  EXPECT_EQ(report->activations[0].variable, "x");
  EXPECT_TRUE(report->activations[0].inserted);
  EXPECT_THAT(report->activations[0].note, HasSubstr("ROUND_HALF_FAR_FORM_ZERO"));
  EXPECT_THAT(report->activations[0].note, HasSubstr("[-127, 127]"));
  EXPECT_TRUE(report->activations[1].inserted);
  EXPECT_EQ(report->activations[1].note, "");
  EXPECT_TRUE(report->activations[2].inserted);
  EXPECT_TRUE(report->activations[2].shared);  // relu's pair
  EXPECT_FALSE(report->activations[1].shared);
  EXPECT_FALSE(report->activations[3].inserted);
  EXPECT_THAT(report->activations[3].note, HasSubstr("FLOATING"));

  // The graph output keeps its name, now made by its pair; add writes it unquantized.
  const onnx::NodeProto* output_pair = Producer(graph, "a");
  ASSERT_EQ(output_pair->op_type(), "DequantizeLinear");
  const onnx::NodeProto* add = Producer(graph, Producer(graph, output_pair->input(0))->input(0));
  ASSERT_EQ(add->op_type(), "Add");
  EXPECT_EQ(add->output(0), "a_unquantized");
  // relu's output pair feeds add; conv reads its own input pair; add reads x as is.
  const onnx::NodeProto* dequantize = Producer(graph, add->input(0));
  ASSERT_EQ(dequantize->op_type(), "DequantizeLinear");
  const onnx::NodeProto* quantize = Producer(graph, dequantize->input(0));
  ASSERT_EQ(quantize->op_type(), "QuantizeLinear");
  EXPECT_EQ(quantize->input(0), "r");
  EXPECT_EQ(Initializer(graph, quantize->input(2))->data_type(), onnx::TensorProto::UINT8);
  EXPECT_EQ(add->input(1), "x");
  const onnx::NodeProto* conv = Producer(graph, "y");
  EXPECT_EQ(Producer(graph, Producer(graph, conv->input(0))->input(0))->input(0), "x");
  int pairs = 0;
  for (const auto& node : graph.node()) pairs += node.op_type() == "QuantizeLinear";
  EXPECT_EQ(pairs, 3);
}

TEST(QdqExportTest, ActivationConfigsWithoutAPairSayWhy) {
  ModelBuilder builder;
  builder.Node("Relu", "relu", {"x"}, {"r"});
  SetOpset(builder.mutable_model(), 13, 7);
  const uint32_t linear = kPerTensor | kLinear | kSymmetrical;
  TensorConfigSpec dynamic = Linear("relu", "r", linear | kDynamic, {});
  TensorConfigSpec wide = Linear("relu", "r", linear, {0.1}, {}, -32768, 32767);
  wide.num_of_bits = 16;
  const std::vector<std::pair<TensorConfigSpec, std::string>> cases = {
      {dynamic, "DYNAMIC"},
      {wide, "16 bits"},
      {Linear("relu", "r", linear, {}), "no scale"},
      {Linear("relu", "r", linear, {0.1, 0.2}), "PER_TENSOR with 2 scales"},
      {Linear("relu", "r", linear, {1e-60}), "scale 1e-60"},
      {Linear("relu", "r", linear, {1e300}), "scale 1e+300"},
      {Linear("relu", "r", linear, {0.1}, {std::numeric_limits<double>::infinity()}), "offset inf"},
      {Linear("relu", "r", linear, {0.1}, {}, -200, 100), "fits neither INT8 nor UINT8"}};
  for (const auto& [spec, reason] : cases) {
    onnx::ModelProto model = builder.model();
    absl::StatusOr<QdqExportReport> report =
        ExportQdq(&model, {spec}, BakeOutcome{{ConfigOutcome{}}, {}}, QdqExportOptions{});
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_EQ(report->activations.size(), 1u) << reason;
    EXPECT_FALSE(report->activations[0].inserted) << reason;
    EXPECT_THAT(report->activations[0].note, HasSubstr(reason));
    for (const auto& node : model.graph().node()) EXPECT_NE(node.op_type(), "QuantizeLinear");
  }
}

TEST(QdqExportTest, QdqFloatKeepsTheBakedFloatsBehindQuantizeLinear) {
  ModelBuilder builder = ConvAndMul();
  onnx::ModelProto baked = builder.model();
  TensorConfigSpec wide =
      Linear("mul", "c", kPerTensor | kLinear | kSymmetrical, {0.001}, {}, -32768, 32767);
  wide.num_of_bits = 16;
  const std::vector<TensorConfigSpec> specs = {
      Linear("conv", "w", kPerTensor | kLinear | kSymmetrical, {0.25}), wide};
  ThreadPool pool(1);
  ASSERT_TRUE(BakeSession(&pool, BakeOptions{}).Run(&baked, specs).ok());

  absl::StatusOr<QdqExportReport> report =
      BakeAndExport(builder.mutable_model(), specs, QdqExportOptions{true, false});
  ASSERT_TRUE(report.ok()) << report.status();
  const onnx::GraphProto& graph = builder.model().graph();
  const onnx::NodeProto* dequantize = Producer(graph, "w");
  ASSERT_EQ(dequantize->op_type(), "DequantizeLinear");
  const onnx::NodeProto* quantize = Producer(graph, dequantize->input(0));
  ASSERT_EQ(quantize->op_type(), "QuantizeLinear");
  const onnx::TensorProto* floats = Initializer(graph, quantize->input(0));
  ASSERT_NE(floats, nullptr);
  EXPECT_EQ(floats->raw_data(), Initializer(baked.graph(), "w")->raw_data());
  ASSERT_EQ(report->kept_float.size(), 1u);  // 16 bits: INT32, which QuantizeLinear lacks
  EXPECT_EQ(report->kept_float[0].variable, "c");
  EXPECT_THAT(report->kept_float[0].reason, HasSubstr("INT32"));
}

TEST(QdqExportTest, RaisingTheOpsetKeepsEveryLargeTensorsBytes) {
  std::vector<float> weights(32 * 1024), bias(20 * 1024);
  for (size_t i = 0; i < weights.size(); ++i) weights[i] = static_cast<float>(i % 255) / 64 - 2;
  for (size_t i = 0; i < bias.size(); ++i) bias[i] = static_cast<float>(i) / 7;
  ModelBuilder builder;
  builder.Node("MatMul", "matmul", {"x", "w"}, {"y"})
      .Node("Add", "add", {"y", "b"}, {"z"})
      .Initializer(MakeTensor("w", {32, 1024}, weights))
      .Initializer(MakeTensor("b", {20 * 1024}, bias));
  onnx::ValueInfoProto* x = builder.mutable_model()->mutable_graph()->add_input();
  x->set_name("x");
  x->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  SetOpset(builder.mutable_model(), 11, 6);
  onnx::ModelProto baked = builder.model();
  const std::vector<TensorConfigSpec> specs = {
      Linear("matmul", "w", kPerTensor | kLinear | kSymmetrical, {1.0 / 64})};
  ThreadPool pool(1);
  ASSERT_TRUE(BakeSession(&pool, BakeOptions{}).Run(&baked, specs).ok());

  absl::StatusOr<QdqExportReport> report = BakeAndExport(builder.mutable_model(), specs);
  ASSERT_TRUE(report.ok()) << report.status();
  const onnx::GraphProto& graph = builder.model().graph();
  EXPECT_EQ(builder.model().opset_import(0).version(), 13);
  EXPECT_EQ(Initializer(graph, "b")->raw_data(), Initializer(baked.graph(), "b")->raw_data());
  const onnx::TensorProto* q = Initializer(graph, "w_quantized");
  ASSERT_NE(q, nullptr);
  const std::vector<float> expected = Floats(*Initializer(baked.graph(), "w"));
  ASSERT_EQ(q->raw_data().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const float dequantized = static_cast<float>(static_cast<int8_t>(q->raw_data()[i])) / 64;
    ASSERT_EQ(FloatBits(dequantized), FloatBits(expected[i])) << i;
  }
}

}  // namespace
}  // namespace qbake
