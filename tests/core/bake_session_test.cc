// Graph-level baking: which parameters change and how, element types, Constant-node
// parameters, the errors that stop a bake, and that a failed bake changes nothing.
#include "core/bake_session.h"

#include <limits>
#include <vector>

#include "core/half_precision.h"
#include "core/parameter_values.h"
#include "core/tensor_baker.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/model_builder.h"
#include "tests/support/test_data.h"

namespace qbake {
namespace {

using ::qbake::testing::FloatBits;
using ::qbake::testing::MakeTensor;
using ::qbake::testing::ModelBuilder;
using ::qbake::testing::Storage;
using ::testing::HasSubstr;

const std::vector<float> kWeights = {0.31f, -0.52f, 0.113f, 0.9f};

TensorConfigSpec Spec(const std::string& op, const std::string& var, QuantState state,
                      std::vector<double> scale) {
  TensorConfigSpec spec;
  spec.operation = op;
  spec.variable = var;
  spec.policy = kPerTensor | kLinear | kSymmetrical;
  spec.state = state;
  spec.scale = std::move(scale);
  spec.offset = {0};
  return spec;
}

// One Conv whose weight `w` (dims [2,1,1,2]) is stored as `type`.
onnx::ModelProto ConvModel(int32_t type = onnx::TensorProto::FLOAT,
                           Storage storage = Storage::kRaw) {
  return ModelBuilder()
      .Node("Conv", "conv", {"x", "w"}, {"y"})
      .Initializer(MakeTensor("w", {2, 1, 1, 2}, kWeights, type, storage))
      .model();
}

std::vector<float> ValuesOf(const onnx::TensorProto& tensor) {
  absl::StatusOr<std::vector<float>> values = ReadParameterValues(tensor);
  EXPECT_TRUE(values.ok()) << values.status();
  return values.ok() ? *values : std::vector<float>{};
}

// What the kernel gives for kWeights at scale 0.25, for comparison.
std::vector<float> KernelBaked(std::vector<float> values) {
  TensorQuantConfig config;
  config.scale = {0.25f};
  config.offset = {0.0f};
  ThreadPool pool(1);
  BakeTensor(config, {static_cast<int64_t>(values.size())}, absl::MakeSpan(values), {}, &pool);
  return values;
}

absl::StatusOr<BakeOutcome> Bake(onnx::ModelProto* model, std::vector<TensorConfigSpec> specs,
                                 BakeOptions options = {}) {
  ThreadPool pool(2);
  return BakeSession(&pool, std::move(options)).Run(model, specs);
}

TEST(BakeSessionTest, BakesActivatedParameterAndMarksItBaked) {
  onnx::ModelProto model = ConvModel();
  absl::StatusOr<BakeOutcome> outcome =
      Bake(&model, {Spec("conv", "w", QuantState::kActivated, {0.25})});
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(ValuesOf(model.graph().initializer(0)), KernelBaked(kWeights));
  ASSERT_EQ(outcome->configs.size(), 1u);
  EXPECT_EQ(outcome->configs[0].state_after, QuantState::kBaked);
  EXPECT_EQ(outcome->configs[0].scale, std::vector<float>{0.25f});
  EXPECT_EQ(outcome->summary.baked, 1);
  ASSERT_EQ(outcome->summary.parameters.size(), 1u);
  EXPECT_EQ(outcome->summary.parameters[0].elements, 4);
  EXPECT_EQ(outcome->summary.parameters[0].bytes, 16);
  EXPECT_GT(outcome->summary.parameters[0].max_abs_error, 0.0);
}

TEST(BakeSessionTest, BakesTypedFloatDataInItsOwnStorage) {
  onnx::ModelProto model = ConvModel(onnx::TensorProto::FLOAT, Storage::kTyped);
  ASSERT_TRUE(Bake(&model, {Spec("conv", "w", QuantState::kActivated, {0.25})}).ok());
  const onnx::TensorProto& w = model.graph().initializer(0);
  EXPECT_FALSE(w.has_raw_data());
  EXPECT_EQ(std::vector<float>(w.float_data().begin(), w.float_data().end()),
            KernelBaked(kWeights));
}

TEST(BakeSessionTest, BakesPassiveConstantNodeValueAsPassiveBaked) {
  onnx::ModelProto model = ModelBuilder()
                               .Constant(MakeTensor("lo", {}, {-0.37f}))
                               .Node("Clip", "clip", {"x", "lo"}, {"y"})
                               .model();
  absl::StatusOr<BakeOutcome> outcome =
      Bake(&model, {Spec("clip", "lo", QuantState::kPassive, {0.25})});
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(ValuesOf(model.graph().node(0).attribute(0).t()), std::vector<float>{-0.25f});
  EXPECT_EQ(outcome->configs[0].state_after, QuantState::kPassiveBaked);
  EXPECT_EQ(outcome->summary.passive_baked, 1);
}

class HalfWidthTest : public ::testing::TestWithParam<int32_t> {};

TEST_P(HalfWidthTest, WidensBakesAndNarrowsToNearestEven) {
  const int32_t type = GetParam();
  for (Storage storage : {Storage::kRaw, Storage::kTyped}) {
    onnx::ModelProto model = ConvModel(type, storage);
    std::vector<float> widened = ValuesOf(model.graph().initializer(0));
    ASSERT_TRUE(Bake(&model, {Spec("conv", "w", QuantState::kActivated, {0.25})}).ok());
    const std::vector<float> expected = KernelBaked(widened);
    const std::vector<float> actual = ValuesOf(model.graph().initializer(0));
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
      const uint16_t narrowed = type == onnx::TensorProto::FLOAT16 ? FloatToHalf(expected[i])
                                                                   : FloatToBFloat16(expected[i]);
      const float expected_value =
          type == onnx::TensorProto::FLOAT16 ? HalfToFloat(narrowed) : BFloat16ToFloat(narrowed);
      EXPECT_EQ(FloatBits(actual[i]), FloatBits(expected_value)) << i;
    }
    EXPECT_EQ(model.graph().initializer(0).data_type(), type);
  }
}

INSTANTIATE_TEST_SUITE_P(Types, HalfWidthTest,
                         ::testing::Values(onnx::TensorProto::FLOAT16,
                                           onnx::TensorProto::BFLOAT16));

TEST(BakeSessionTest, ReturnsOtherConfigsUnchanged) {
  onnx::ModelProto model = ConvModel();
  const onnx::ModelProto original = model;
  absl::StatusOr<BakeOutcome> outcome =
      Bake(&model, {Spec("conv", "x", QuantState::kActivated, {0.25}),
                    Spec("conv", "w", QuantState::kFp32, {0.25}),
                    Spec("conv", "y", QuantState::kOverlapped, {0.25})});
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->configs[0].state_after, QuantState::kActivated);
  EXPECT_EQ(outcome->configs[1].state_after, QuantState::kFp32);
  EXPECT_EQ(outcome->configs[2].state_after, QuantState::kOverlapped);
  EXPECT_EQ(outcome->summary.unchanged, 3);
  EXPECT_EQ(model.SerializeAsString(), original.SerializeAsString());
}

TEST(BakeSessionTest, RefusesNaNNamingItsFirstIndexAndChangesNothing) {
  onnx::ModelProto model = ModelBuilder()
                               .Node("Conv", "conv", {"x", "w", "b"}, {"y"})
                               .Initializer(MakeTensor("w", {4}, kWeights))
                               .Initializer(MakeTensor("b", {3}, {1.0f, NAN, INFINITY}))
                               .model();
  const onnx::ModelProto original = model;
  absl::StatusOr<BakeOutcome> outcome =
      Bake(&model, {Spec("conv", "w", QuantState::kActivated, {0.25}),
                    Spec("conv", "b", QuantState::kPassive, {0.25})});
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(outcome.status().message(),
              HasSubstr("operation 'conv', variable 'b', field 'value'"));
  EXPECT_THAT(outcome.status().message(), HasSubstr("index 1"));
  EXPECT_EQ(model.SerializeAsString(), original.SerializeAsString());
}

TEST(BakeSessionTest, RefusesRawDataOfTheWrongSize) {
  onnx::ModelProto model = ConvModel();
  model.mutable_graph()->mutable_initializer(0)->add_dims(1000);
  absl::StatusOr<BakeOutcome> outcome =
      Bake(&model, {Spec("conv", "w", QuantState::kActivated, {0.25})});
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.status().message(),
              HasSubstr("operation 'conv', variable 'w', field 'raw_data'"));
}

TEST(BakeSessionTest, RefusesExternalDataThatWasNotLoaded) {
  onnx::ModelProto model = ConvModel();
  model.mutable_graph()->mutable_initializer(0)->set_data_location(onnx::TensorProto::EXTERNAL);
  absl::StatusOr<BakeOutcome> outcome =
      Bake(&model, {Spec("conv", "w", QuantState::kActivated, {0.25})});
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.status().message(), HasSubstr("field 'data_location'"));
}

TEST(BakeSessionTest, RefusesDimsWhoseByteCountWrapsAroundToTheDataSize) {
  // (2^62 + 4) * 4 bytes wrap around 2^64 to 16, the bytes of the 4 values stored.
  onnx::ModelProto model = ConvModel();
  onnx::TensorProto* w = model.mutable_graph()->mutable_initializer(0);
  w->clear_dims();
  w->add_dims((int64_t{1} << 62) + 4);
  const onnx::ModelProto original = model;
  absl::StatusOr<BakeOutcome> outcome =
      Bake(&model, {Spec("conv", "w", QuantState::kActivated, {0.25})});
  EXPECT_THAT(outcome.status().message(),
              HasSubstr("operation 'conv', variable 'w', field 'raw_data': holds 16 bytes but "
                        "dims [4611686018427387908] need 4611686018427387908 values of 4 bytes"));
  EXPECT_EQ(model.SerializeAsString(), original.SerializeAsString());
}

// A parameter of no values with a channel dimension of 2^62, as an initializer and as
// a Constant node's value, feeding a ConvTranspose (channel axis 1).
std::vector<onnx::ModelProto> EmptyParameterModels(const std::vector<int64_t>& dims) {
  return {ModelBuilder()
              .Node("ConvTranspose", "deconv", {"x", "w"}, {"y"})
              .Initializer(MakeTensor("w", dims, {}))
              .model(),
          ModelBuilder()
              .Constant(MakeTensor("w", dims, {}))
              .Node("ConvTranspose", "deconv", {"x", "w"}, {"y"})
              .model()};
}

TEST(BakeSessionTest, RefusesDynamicOfAnEmptyParameter) {
  for (onnx::ModelProto model : EmptyParameterModels({0, int64_t{1} << 62, 1, 1})) {
    for (uint32_t granularity : {kPerTensor, kPerChannel}) {
      TensorConfigSpec spec = Spec("deconv", "w", QuantState::kActivated, {});
      spec.policy = granularity | kLinear | kSymmetrical | kDynamic;
      EXPECT_THAT(Bake(&model, {spec}).status().message(),
                  HasSubstr("operation 'deconv', variable 'w', field 'policy': DYNAMIC solves "
                            "the scale from the parameter's values, and the parameter of shape "
                            "[0, 4611686018427387904, 1, 1] has none"));
    }
  }
}

TEST(BakeSessionTest, BakesAnEmptyParameterWithItsStatedScales) {
  for (onnx::ModelProto model : EmptyParameterModels({int64_t{1} << 62, 3, 1, 0})) {
    TensorConfigSpec spec = Spec("deconv", "w", QuantState::kActivated, {0.5, 0.25, 0.125});
    spec.policy = kPerChannel | kLinear | kSymmetrical;
    spec.offset = {0, 0, 0};
    absl::StatusOr<BakeOutcome> outcome = Bake(&model, {spec});
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_EQ(outcome->configs[0].scale, (std::vector<float>{0.5f, 0.25f, 0.125f}));
    ASSERT_EQ(outcome->summary.parameters.size(), 1u);
    EXPECT_EQ(outcome->summary.parameters[0].elements, 0);
  }
}

TEST(BakeSessionTest, RefusesADynamicScaleSolvedBeyondFloat32AndChangesNothing) {
  // scale = 2 * FLT_MAX / 255 and offset round(127.5) = 128: q = 0 (reached by
  // -FLT_MAX) dequantizes to -128 * scale, beyond float32.
  const float max = std::numeric_limits<float>::max();
  onnx::ModelProto model = ModelBuilder()
                               .Node("Conv", "conv", {"x", "w"}, {"y"})
                               .Initializer(MakeTensor("w", {4}, {-max, max, 0.0f, 1.0f}))
                               .model();
  const onnx::ModelProto original = model;
  TensorConfigSpec spec = Spec("conv", "w", QuantState::kActivated, {});
  spec.policy = kPerTensor | kLinear | kAsymmetrical | kDynamic;
  spec.quant_min = 0;
  spec.quant_max = 255;
  absl::StatusOr<BakeOutcome> outcome = Bake(&model, {spec});
  EXPECT_THAT(outcome.status().message(),
              HasSubstr("operation 'conv', variable 'w', field 'value': the DYNAMIC scale solved "
                        "from the parameter's values: scale[0] 2.66888115e+36 and zero_point[0] "
                        "128 dequantize q = 0, an end of the quantized range [0, 255], to -inf"));
  EXPECT_EQ(model.SerializeAsString(), original.SerializeAsString());
}

TEST(BakeSessionTest, KeepsTheIntegerRepresentationWhenAsked) {
  onnx::ModelProto model = ConvModel();
  BakeOptions options;
  options.want_integers = true;
  ThreadPool pool(1);
  BakeSession session(&pool, options);
  const std::vector<TensorConfigSpec> specs = {Spec("conv", "w", QuantState::kActivated, {0.25})};
  ASSERT_TRUE(session.Run(&model, specs).ok());
  ASSERT_EQ(session.integers().count("w"), 1u);
  EXPECT_EQ(session.integers().at("w"), (std::vector<int32_t>{1, -2, 0, 4}));
}

TEST(BakeSessionTest, PrepareHandsOverEachParameterWithItsTensorAndIntegerType) {
  onnx::ModelProto model = ModelBuilder()
                               .Node("Conv", "conv", {"x", "w", "b"}, {"y"})
                               .Initializer(MakeTensor("w", {2, 1, 1, 2}, kWeights))
                               .Initializer(MakeTensor("b", {2}, {0.5f, -0.25f}))
                               .model();
  TensorConfigSpec bias = Spec("conv", "b", QuantState::kPassive, {0.25});
  bias.policy = kPerTensor | kLinear | kAsymmetrical;
  bias.quant_min = 0;
  bias.quant_max = 255;
  bias.offset = {128};
  TensorConfigSpec bias_again = bias;  // a second config on b: b is handed over once
  bias_again.policy = kPerTensor | kLinear | kSymmetrical;
  bias_again.num_of_bits = 16;
  bias_again.quant_min = -32768;
  bias_again.quant_max = 32767;
  bias_again.offset = {0};
  const std::vector<TensorConfigSpec> specs = {
      Spec("conv", "x", QuantState::kInitial, {0.25}), bias,
      Spec("conv", "w", QuantState::kActivated, {0.25}), bias_again};
  ThreadPool pool(1);
  BakeSession session(&pool, {});
  const absl::Status prepared = session.Prepare(&model, specs);
  ASSERT_TRUE(prepared.ok()) << prepared;
  const std::vector<PendingParameter>& parameters = session.parameters();
  ASSERT_EQ(parameters.size(), 2u);
  EXPECT_EQ(parameters[0].name, "b");  // config order
  EXPECT_EQ(parameters[0].tensor, model.mutable_graph()->mutable_initializer(1));
  EXPECT_EQ(parameters[0].integer_type, IntegerType::kUInt8);  // its first config's
  EXPECT_EQ(parameters[1].name, "w");
  EXPECT_EQ(parameters[1].tensor, model.mutable_graph()->mutable_initializer(0));
  EXPECT_EQ(parameters[1].integer_type, IntegerType::kInt8);
  EXPECT_EQ(session.pending(), (std::vector<std::string>{"b", "w"}));

  ASSERT_TRUE(session.BakeParameter("w").ok());
  EXPECT_EQ(session.pending(), std::vector<std::string>{"b"});
  EXPECT_EQ(session.parameters().size(), 2u);  // baked ones stay listed
}

TEST(BakeSessionTest, ReportsProgressUpToTheTotalBytes) {
  onnx::ModelProto model = ConvModel();
  BakeOptions options;
  int64_t last_done = 0, last_total = 0;
  options.progress = [&](int64_t done, int64_t total) {
    last_done = done;
    last_total = total;
  };
  ASSERT_TRUE(Bake(&model, {Spec("conv", "w", QuantState::kActivated, {0.25})}, options).ok());
  EXPECT_EQ(last_total, 16);
  EXPECT_EQ(last_done, 16);
}

TEST(BakeSessionTest, StopsWithCancelledAndChangesNothingOnceCancelled) {
  onnx::ModelProto model = ConvModel();
  const onnx::ModelProto original = model;
  BakeOptions options;
  options.cancelled = [] { return true; };
  absl::StatusOr<BakeOutcome> outcome =
      Bake(&model, {Spec("conv", "w", QuantState::kActivated, {0.25})}, options);
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(model.SerializeAsString(), original.SerializeAsString());
}

TEST(BakeSessionTest, GivesTheSameModelForAnyThreadCount) {
  std::vector<float> big(300000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i % 977) * 0.0013f - 0.6f;
  const onnx::ModelProto original = ModelBuilder()
                                        .Node("Gemm", "fc", {"x", "w"}, {"y"})
                                        .Initializer(MakeTensor("w", {300, 1000}, big))
                                        .model();
  TensorConfigSpec spec = Spec("fc", "w", QuantState::kActivated, {});
  spec.policy = kPerChannel | kLinear | kAsymmetrical | kDynamic;
  spec.offset.clear();
  std::string first;
  for (int threads : {1, 2, 5}) {
    onnx::ModelProto model = original;
    ThreadPool pool(threads);
    ASSERT_TRUE(BakeSession(&pool, BakeOptions{}).Run(&model, {spec}).ok());
    if (first.empty()) first = model.SerializeAsString();
    EXPECT_EQ(model.SerializeAsString(), first) << threads << " threads";
  }
}

}  // namespace
}  // namespace qbake
