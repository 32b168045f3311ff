#include "core/config_resolver.h"

#include <initializer_list>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/ppq_config_document.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/model_builder.h"
#include "tests/support/test_data.h"

namespace qbake {
namespace {

using ::testing::ElementsAre;
using testing::FloatBits;
using ::testing::IsEmpty;

constexpr uint32_t kTensorLinear = kPerTensor | kLinear | kSymmetrical;
constexpr uint32_t kChannelLinear = kPerChannel | kLinear | kSymmetrical;
constexpr uint32_t kChannelFp8 = kPerChannel | kFloating | kSymmetrical | kPowerOf2;

// The status is a ConfigError for (operation, variable, field) whose message holds `detail`.
MATCHER_P4(IsConfigError, operation, variable, field, detail, "") {
  *result_listener << "status: " << arg;
  const std::string culprit =
      absl::StrCat("operation '", operation, "', variable '", variable, "', field '", field, "'");
  return arg.code() == absl::StatusCode::kInvalidArgument &&
         absl::StrContains(arg.message(), culprit) && absl::StrContains(arg.message(), detail);
}

// The StatusOr<int> holds `axis`.
MATCHER_P(IsAxis, axis, "") {
  if (!arg.ok()) *result_listener << "status: " << arg.status();
  return arg.ok() && *arg == axis;
}

TensorConfigSpec Spec(const std::string& operation, const std::string& variable, uint32_t policy,
                      std::vector<double> scale, QuantState state = QuantState::kActivated) {
  TensorConfigSpec spec;
  spec.operation = operation;
  spec.variable = variable;
  spec.policy = policy;
  spec.state = state;
  spec.scale = std::move(scale);
  return spec;
}

std::vector<uint32_t> Bits(const std::vector<float>& values) {
  std::vector<uint32_t> bits;
  for (float value : values) bits.push_back(FloatBits(value));
  return bits;
}

class ConfigResolverTest : public ::testing::Test {
 protected:
  ConfigResolverTest() {
    AddNode("conv", "Conv", {"x", "w", "b"}, {"y"});
    AddInitializer("w", {4, 2, 3, 3});
    AddInitializer("b", {4});
    AddNode("gemm", "Gemm", {"y", "wg", "bg"}, {"g"});
    AddInitializer("wg", {5, 8});
    AddInitializer("bg", {5});
    AddNode("deconv", "ConvTranspose", {"g", "wt", "bt"}, {"t"});
    AddInitializer("wt", {4, 6, 2, 2});
    AddInitializer("bt", {6});
    AddNode("matmul", "MatMul", {"t", "wm"}, {"m"});
    AddInitializer("wm", {3, 7});
    AddNode("mul", "Mul", {"m", "k"}, {"n"});
    AddInitializer("k", {3, 5, 5});
    AddNode("clip", "Clip", {"n", "lo", "hi"}, {"c"});
    AddConstant("lo", {});
    AddConstant("hi", {});
  }

  void AddNode(const std::string& name, const std::string& op_type,
               const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
    builder_.Node(op_type, name, inputs, outputs);
  }

  // An initializer with dims but no data: resolution never reads values.
  void AddInitializer(const std::string& name, const std::vector<int64_t>& dims,
                      int32_t data_type = onnx::TensorProto::FLOAT) {
    builder_.Initializer(testing::MakeTensor(name, dims, {}, data_type));
  }

  void AddConstant(const std::string& output, const std::vector<int64_t>& dims) {
    builder_.Constant(testing::MakeTensor(output, dims, {}));
  }

  absl::StatusOr<std::vector<ResolvedConfig>> Resolve(
      const std::vector<TensorConfigSpec>& specs, Rounding default_rounding = Rounding::kHalfEven) {
    index_ = std::make_unique<GraphIndex>(builder_.mutable_model()->mutable_graph());
    return ConfigResolver(index_.get(), default_rounding).Resolve(specs);
  }

  // The config that the last of `specs` resolves to.
  absl::StatusOr<TensorQuantConfig> ResolveLast(const std::vector<TensorConfigSpec>& specs) {
    absl::StatusOr<std::vector<ResolvedConfig>> resolved = Resolve(specs);
    if (!resolved.ok()) return resolved.status();
    if (resolved->empty() || resolved->back().spec_index != specs.size() - 1) {
      return absl::NotFoundError("the last spec was not resolved");
    }
    return resolved->back().config;
  }

  absl::StatusOr<int> ChannelAxis(TensorConfigSpec spec) {
    absl::StatusOr<TensorQuantConfig> config = ResolveLast({spec});
    if (!config.ok()) return config.status();
    return config->channel_axis;
  }

  testing::ModelBuilder builder_;
  std::unique_ptr<GraphIndex> index_;
};

// ---- What is resolved.

TEST_F(ConfigResolverTest, ResolvesActivatedWeightIntoKernelConfig) {
  TensorConfigSpec spec = Spec("conv", "w", kChannelLinear, {0.5, 0.25, 0.1, 2});
  spec.num_of_bits = 6;
  spec.quant_min = -31;
  spec.quant_max = 31;
  absl::StatusOr<std::vector<ResolvedConfig>> resolved = Resolve({spec});
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  ASSERT_EQ(resolved->size(), 1u);
  const ResolvedConfig& result = resolved->front();
  EXPECT_EQ(result.spec_index, 0u);
  EXPECT_EQ(result.parameter, index_->FindParameter("w"));
  EXPECT_FALSE(result.scale_derived);
  const TensorQuantConfig& config = result.config;
  EXPECT_EQ(config.policy, kChannelLinear);
  EXPECT_EQ(config.rounding, Rounding::kHalfEven);
  EXPECT_EQ(config.num_of_bits, 6);
  EXPECT_EQ(config.exponent_bits, 0);
  EXPECT_EQ(config.quant_min, -31);
  EXPECT_EQ(config.quant_max, 31);
  EXPECT_THAT(config.scale, ElementsAre(0.5f, 0.25f, 0.1f, 2.0f));
  EXPECT_THAT(config.offset, ElementsAre(0, 0, 0, 0));
  EXPECT_EQ(config.channel_axis, 0);
  EXPECT_EQ(config.state, QuantState::kActivated);
}

TEST_F(ConfigResolverTest, PassiveParameterIsResolvedWithItsState) {
  absl::StatusOr<TensorQuantConfig> config =
      ResolveLast({Spec("clip", "lo", kTensorLinear, {0.5}, QuantState::kPassive)});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->state, QuantState::kPassive);
}

TEST_F(ConfigResolverTest, ConstantNodeValueIsAParameterToBake) {
  absl::StatusOr<std::vector<ResolvedConfig>> resolved =
      Resolve({Spec("clip", "hi", kTensorLinear, {0.5}, QuantState::kPassive)});
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  ASSERT_EQ(resolved->size(), 1u);
  EXPECT_TRUE(resolved->front().parameter->in_constant_node);
  EXPECT_EQ(resolved->front().parameter->name, "hi");
}

TEST_F(ConfigResolverTest, ConfigsNotToBakeAreValidatedButNotResolved) {
  std::vector<TensorConfigSpec> specs = {
      Spec("conv", "x", kTensorLinear, {}),  // an activation, even without a scale
      Spec("conv", "y", kTensorLinear, {}, QuantState::kOverlapped),
  };
  for (QuantState state : {QuantState::kInitial, QuantState::kBaked, QuantState::kOverlapped,
                           QuantState::kPassiveInit, QuantState::kPassiveBaked, QuantState::kFp32,
                           QuantState::kSoi, QuantState::kDequantized, QuantState::kDeactived}) {
    specs.push_back(Spec("conv", "w", kTensorLinear, {}, state));  // no scale: not needed
  }
  absl::StatusOr<std::vector<ResolvedConfig>> resolved = Resolve(specs);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_THAT(*resolved, IsEmpty());
}

TEST_F(ConfigResolverTest, ResolvedConfigsKeepTheirSpecIndex) {
  absl::StatusOr<std::vector<ResolvedConfig>> resolved = Resolve({
      Spec("conv", "x", kTensorLinear, {0.1}),
      Spec("gemm", "wg", kTensorLinear, {0.5}),
      Spec("conv", "b", kTensorLinear, {}, QuantState::kFp32),
      Spec("matmul", "wm", kTensorLinear, {0.25}),
  });
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  ASSERT_EQ(resolved->size(), 2u);
  EXPECT_EQ((*resolved)[0].spec_index, 1u);
  EXPECT_EQ((*resolved)[0].parameter->name, "wg");
  EXPECT_EQ((*resolved)[1].spec_index, 3u);
  EXPECT_EQ((*resolved)[1].parameter->name, "wm");
}

// ---- Checks of every config.

TEST_F(ConfigResolverTest, UnknownOperationIsAnError) {
  EXPECT_THAT(Resolve({Spec("nope", "w", kTensorLinear, {0.5})}).status(),
              IsConfigError("nope", "w", "operation", "no node of that name"));
}

TEST_F(ConfigResolverTest, VariableThatIsNotOnTheOperationIsAnError) {
  EXPECT_THAT(
      Resolve({Spec("conv", "wg", kTensorLinear, {0.5})}).status(),
      IsConfigError("conv", "wg", "variable", "its inputs are [x, w, b] and its outputs [y]"));
}

TEST_F(ConfigResolverTest, InvalidPolicyIsAnErrorNamingItsProperties) {
  EXPECT_THAT(
      Resolve({Spec("conv", "x", kPerTensor | kPerChannel | kLinear | kSymmetrical, {})}).status(),
      IsConfigError("conv", "x", "policy", "PER_TENSOR|PER_CHANNEL|LINEAR|SYMMETRICAL"));
  EXPECT_THAT(
      Resolve({Spec("conv", "w", kPerTensor | kFloating | kSymmetrical, {0.5})}).status(),
      IsConfigError("conv", "w", "policy", "invalid policy PER_TENSOR|FLOATING|SYMMETRICAL"));
}

TEST_F(ConfigResolverTest, FirstErrorInSpecOrderIsReported) {
  EXPECT_THAT(Resolve({Spec("conv", "x", kTensorLinear, {}), Spec("gone", "x", 0, {}),
                       Spec("conv", "w", 0, {0.5})})
                  .status(),
              IsConfigError("gone", "x", "operation", ""));
}

// ---- Checks of a parameter to bake.

TEST_F(ConfigResolverTest, SharedParameterIsAnError) {
  AddNode("other", "Add", {"n", "k"}, {"o"});
  EXPECT_THAT(Resolve({Spec("mul", "k", kTensorLinear, {0.5})}).status(),
              IsConfigError("mul", "k", "variable",
                            "feeds 2 node input slots ['mul' (Mul), 'other' (Add)]"));
}

TEST_F(ConfigResolverTest, ParameterReadTwiceByOneNodeIsShared) {
  AddNode("square", "Mul", {"sq", "sq"}, {"s"});
  AddInitializer("sq", {2});
  EXPECT_THAT(Resolve({Spec("square", "sq", kTensorLinear, {0.5})}).status(),
              IsConfigError("square", "sq", "variable", "feeds 2 node input slots"));
}

TEST_F(ConfigResolverTest, SharedParameterNotToBakeIsFine) {
  AddNode("other", "Add", {"n", "k"}, {"o"});
  EXPECT_TRUE(Resolve({Spec("mul", "k", kTensorLinear, {0.5}, QuantState::kFp32)}).ok());
}

TEST_F(ConfigResolverTest, NonFloatElementTypeIsAnError) {
  AddNode("gather", "Gather", {"n", "indices"}, {"gathered"});
  AddInitializer("indices", {2}, onnx::TensorProto::INT64);
  EXPECT_THAT(Resolve({Spec("gather", "indices", kTensorLinear, {0.5})}).status(),
              IsConfigError("gather", "indices", "data_type",
                            "element type INT64 (7); only FLOAT, FLOAT16 and BFLOAT16"));
}

TEST_F(ConfigResolverTest, HalfPrecisionParametersAreBakeable) {
  AddNode("half", "Add", {"n", "h"}, {"ho"});
  AddInitializer("h", {2}, onnx::TensorProto::FLOAT16);
  AddNode("brain", "Add", {"n", "bf"}, {"bo"});
  AddInitializer("bf", {2}, onnx::TensorProto::BFLOAT16);
  absl::StatusOr<std::vector<ResolvedConfig>> resolved =
      Resolve({Spec("half", "h", kTensorLinear, {0.5}), Spec("brain", "bf", kTensorLinear, {0.5})});
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->size(), 2u);
}

TEST_F(ConfigResolverTest, InvalidDimsAreAnErrorOfTheValue) {
  AddNode("neg", "Add", {"n", "negative"}, {"no"});
  AddInitializer("negative", {2, -1});
  EXPECT_THAT(Resolve({Spec("neg", "negative", kTensorLinear, {0.5})}).status(),
              IsConfigError("neg", "negative", "value", ""));
}

TEST_F(ConfigResolverTest, BitWidthOutOfRangeIsAnError) {
  for (int bits : {1, 33}) {
    TensorConfigSpec spec = Spec("conv", "w", kTensorLinear, {0.5});
    spec.num_of_bits = bits;
    EXPECT_THAT(
        Resolve({spec}).status(),
        IsConfigError("conv", "w", "bit_width",
                      absl::StrCat("bit_width ", bits, " is out of range; expected 2 to 32")));
  }
}

TEST_F(ConfigResolverTest, QuantMinMustBeBelowQuantMax) {
  TensorConfigSpec spec = Spec("conv", "w", kTensorLinear, {0.5});
  spec.quant_min = 5;
  spec.quant_max = 5;
  EXPECT_THAT(
      Resolve({spec}).status(),
      IsConfigError("conv", "w", "quant_min", "quant_min (5) must be less than quant_max (5)"));
}

// ---- Exponent bits.

TEST_F(ConfigResolverTest, ExponentBitsDefaultToZeroForLinearAndE4M3ForFp8) {
  absl::StatusOr<TensorQuantConfig> linear = ResolveLast({Spec("conv", "w", kTensorLinear, {0.5})});
  ASSERT_TRUE(linear.ok()) << linear.status();
  EXPECT_EQ(linear->exponent_bits, 0);
  absl::StatusOr<TensorQuantConfig> fp8 =
      ResolveLast({Spec("conv", "w", kChannelFp8, {0.5, 0.5, 0.5, 0.5})});
  ASSERT_TRUE(fp8.ok()) << fp8.status();
  EXPECT_EQ(fp8->exponent_bits, 4);
  EXPECT_EQ(fp8->mantissa_bits(), 3);
}

TEST_F(ConfigResolverTest, FloatingOtherThan8BitsNeedsExponentBits) {
  TensorConfigSpec spec = Spec("conv", "w", kChannelFp8, {0.5, 0.5, 0.5, 0.5});
  spec.num_of_bits = 6;
  EXPECT_THAT(Resolve({spec}).status(),
              IsConfigError("conv", "w", "exponent_bits", "state exponent_bits"));
  spec.exponent_bits = 2;
  absl::StatusOr<TensorQuantConfig> fp6 = ResolveLast({spec});
  ASSERT_TRUE(fp6.ok()) << fp6.status();
  EXPECT_EQ(fp6->exponent_bits, 2);
}

TEST_F(ConfigResolverTest, ExponentBitsAreValidated) {
  TensorConfigSpec spec = Spec("conv", "w", kChannelFp8, {0.5, 0.5, 0.5, 0.5});
  spec.exponent_bits = 9;
  EXPECT_THAT(Resolve({spec}).status(),
              IsConfigError("conv", "w", "exponent_bits", "exponent_bits 9 is out of range"));
  spec.exponent_bits = 0;
  EXPECT_THAT(Resolve({spec}).status(),
              IsConfigError("conv", "w", "exponent_bits", "FLOATING needs exponent_bits >= 1"));
  spec.num_of_bits = 4;
  spec.exponent_bits = 4;
  EXPECT_THAT(Resolve({spec}).status(), IsConfigError("conv", "w", "exponent_bits",
                                                      "leaves bit_width - exponent_bits - 1 = -1"));
  spec.exponent_bits = 3;  // E3M0
  EXPECT_TRUE(Resolve({spec}).ok());
}

// ---- Rounding.

TEST(PlatformRoundingTest, FollowsPpqPlatforms) {
  EXPECT_EQ(PlatformRounding("NCNN_INT8"), Rounding::kHalfFarFromZero);
  EXPECT_EQ(PlatformRounding("MNN_INT8"), Rounding::kHalfFarFromZero);
  EXPECT_EQ(PlatformRounding("ASC_INT8"), Rounding::kHalfFarFromZero);
  EXPECT_EQ(PlatformRounding("NXP_INT8"), Rounding::kHalfUp);
  EXPECT_EQ(PlatformRounding("TRT_INT8"), Rounding::kHalfEven);
  EXPECT_EQ(PlatformRounding("PPL_CUDA_INT8"), Rounding::kHalfEven);
  EXPECT_EQ(PlatformRounding("GRAPHCORE_FP8"), Rounding::kHalfEven);
  EXPECT_EQ(PlatformRounding(""), Rounding::kHalfEven);
}

TEST_F(ConfigResolverTest, RoundingIsInlineElsePlatformElseDefault) {
  TensorConfigSpec spec = Spec("conv", "w", kTensorLinear, {0.5});
  absl::StatusOr<std::vector<ResolvedConfig>> by_default = Resolve({spec}, Rounding::kDown);
  ASSERT_TRUE(by_default.ok()) << by_default.status();
  EXPECT_EQ(by_default->front().config.rounding, Rounding::kDown);

  spec.platform = "NXP_INT8";
  absl::StatusOr<std::vector<ResolvedConfig>> by_platform = Resolve({spec}, Rounding::kDown);
  ASSERT_TRUE(by_platform.ok()) << by_platform.status();
  EXPECT_EQ(by_platform->front().config.rounding, Rounding::kHalfUp);

  spec.rounding = Rounding::kToNearInt;
  absl::StatusOr<std::vector<ResolvedConfig>> inline_rounding = Resolve({spec}, Rounding::kDown);
  ASSERT_TRUE(inline_rounding.ok()) << inline_rounding.status();
  EXPECT_EQ(inline_rounding->front().config.rounding, Rounding::kToNearInt);
}

TEST_F(ConfigResolverTest, UnknownPlatformRoundsHalfEvenNotDefault) {
  TensorConfigSpec spec = Spec("conv", "w", kTensorLinear, {0.5});
  spec.platform = "TRT_INT8";
  absl::StatusOr<std::vector<ResolvedConfig>> resolved = Resolve({spec}, Rounding::kUp);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->front().config.rounding, Rounding::kHalfEven);
}

// ---- Scale and offset.

TEST_F(ConfigResolverTest, MissingScaleIsAnError) {
  EXPECT_THAT(Resolve({Spec("conv", "w", kTensorLinear, {})}).status(),
              IsConfigError("conv", "w", "scale", "missing"));
  // A PASSIVE parameter that is not a bias is not derived.
  EXPECT_THAT(Resolve({Spec("clip", "lo", kTensorLinear, {}, QuantState::kPassive)}).status(),
              IsConfigError("clip", "lo", "scale", "missing"));
  // Nor is an ACTIVATED bias.
  EXPECT_THAT(
      Resolve({Spec("conv", "x", kTensorLinear, {0.1}), Spec("conv", "w", kTensorLinear, {0.5}),
               Spec("conv", "b", kTensorLinear, {})})
          .status(),
      IsConfigError("conv", "b", "scale", "missing"));
}

TEST_F(ConfigResolverTest, ScaleMustBeFiniteAndPositiveAsFloat32) {
  const double kNan = std::numeric_limits<double>::quiet_NaN();
  const double kInf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<double, std::string>> bad = {
      {0, "scale[2] is 0"},      {-0.5, "scale[2] is -0.5"}, {kNan, "scale[2] is nan"},
      {kInf, "scale[2] is inf"}, {1e39, "scale[2] is inf"},  // overflows float32
      {1e-46, "scale[2] is 0"},                              // underflows float32
  };
  for (const auto& [value, detail] : bad) {
    EXPECT_THAT(Resolve({Spec("conv", "w", kChannelLinear, {0.5, 0.5, value, 0.5})}).status(),
                IsConfigError("conv", "w", "scale", detail));
  }
}

TEST_F(ConfigResolverTest, ScaleIsNarrowedToFloat32) {
  absl::StatusOr<TensorQuantConfig> config =
      ResolveLast({Spec("conv", "w", kTensorLinear, {0.007832217030227184})});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(FloatBits(config->scale[0]), FloatBits(static_cast<float>(0.007832217030227184)));
}

TEST_F(ConfigResolverTest, OffsetCountMustMatchScaleCount) {
  TensorConfigSpec spec = Spec("conv", "w", kChannelLinear, {0.5, 0.5, 0.5, 0.5});
  spec.offset = {0, 0};
  EXPECT_THAT(Resolve({spec}).status(),
              IsConfigError("conv", "w", "zero_point", "2 zero_point values for 4 scales"));
}

TEST_F(ConfigResolverTest, OffsetMustBeAnInteger) {
  TensorConfigSpec spec = Spec("conv", "w", kPerTensor | kLinear | kAsymmetrical, {0.5});
  spec.offset = {127.5};
  EXPECT_THAT(
      Resolve({spec}).status(),
      IsConfigError("conv", "w", "zero_point", "zero_point[0] is 127.5; expected an integer"));
  spec.offset = {std::numeric_limits<double>::infinity()};
  EXPECT_THAT(Resolve({spec}).status(),
              IsConfigError("conv", "w", "zero_point", "zero_point[0] is inf"));
  spec.offset = {128};
  absl::StatusOr<TensorQuantConfig> config = ResolveLast({spec});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->offset, ElementsAre(128.0f));
}

TEST_F(ConfigResolverTest, SymmetricalNeedsZeroOffsets) {
  TensorConfigSpec spec = Spec("conv", "w", kChannelLinear, {0.5, 0.5, 0.5, 0.5});
  spec.offset = {0, 0, 0, 3};
  EXPECT_THAT(
      Resolve({spec}).status(),
      IsConfigError("conv", "w", "zero_point", "zero_point[3] is 3; a SYMMETRICAL policy needs 0"));
}

TEST_F(ConfigResolverTest, PowerOfTwoNeedsExactPowersOfTwo) {
  const uint32_t policy = kChannelLinear | kPowerOf2;
  EXPECT_TRUE(Resolve({Spec("conv", "w", policy, {0.5, 0.25, 4, 0x1p-20})}).ok());
  EXPECT_THAT(
      Resolve({Spec("conv", "w", policy, {0.5, 0.3, 4, 1})}).status(),
      IsConfigError("conv", "w", "scale", "scale[1] is 0.300000012, not an exact power of two"));
}

// ---- Granularity and channel axis.

TEST_F(ConfigResolverTest, PerTensorNeedsExactlyOneScale) {
  EXPECT_THAT(Resolve({Spec("conv", "w", kTensorLinear, {0.5, 0.5})}).status(),
              IsConfigError("conv", "w", "scale", "PER_TENSOR needs exactly 1 scale, found 2"));
}

TEST_F(ConfigResolverTest, ChannelAxisFollowsPpqConventionPerOpType) {
  EXPECT_THAT(ChannelAxis(Spec("conv", "w", kChannelLinear, std::vector<double>(4, 0.5))),
              IsAxis(0));
  EXPECT_THAT(ChannelAxis(Spec("deconv", "wt", kChannelLinear, std::vector<double>(6, 0.5))),
              IsAxis(1));
  EXPECT_THAT(ChannelAxis(Spec("gemm", "wg", kChannelLinear, std::vector<double>(5, 0.5))),
              IsAxis(0));
  EXPECT_THAT(ChannelAxis(Spec("matmul", "wm", kChannelLinear, std::vector<double>(3, 0.5))),
              IsAxis(0));
  EXPECT_THAT(ChannelAxis(Spec("deconv", "bt", kChannelLinear, std::vector<double>(6, 0.5))),
              IsAxis(0));
}

TEST_F(ConfigResolverTest, ChannelAxisFallsBackToTheOnlyMatchingDimension) {
  // Convention axis 0 has 4 (or 3) channels; dimension 1 alone matches.
  EXPECT_THAT(ChannelAxis(Spec("conv", "w", kChannelLinear, std::vector<double>(2, 0.5))),
              IsAxis(1));
  EXPECT_THAT(ChannelAxis(Spec("matmul", "wm", kChannelLinear, std::vector<double>(7, 0.5))),
              IsAxis(1));
  EXPECT_THAT(ChannelAxis(Spec("deconv", "wt", kChannelLinear, std::vector<double>(4, 0.5))),
              IsAxis(0));
  // Mul has no convention.
  EXPECT_THAT(ChannelAxis(Spec("mul", "k", kChannelLinear, std::vector<double>(3, 0.5))),
              IsAxis(0));
}

TEST_F(ConfigResolverTest, AmbiguousChannelAxisAsksForAnExplicitOne) {
  EXPECT_THAT(
      ChannelAxis(Spec("conv", "w", kChannelLinear, std::vector<double>(3, 0.5))).status(),
      IsConfigError("conv", "w", "channel_axis",
                    "dimensions 2, 3 of shape [4, 2, 3, 3] all have size 3; state channel_axis"));
  EXPECT_THAT(ChannelAxis(Spec("mul", "k", kChannelLinear, std::vector<double>(5, 0.5))).status(),
              IsConfigError("mul", "k", "channel_axis", "state channel_axis"));
}

TEST_F(ConfigResolverTest, ScaleCountMatchingNoDimensionIsAnError) {
  EXPECT_THAT(
      ChannelAxis(Spec("conv", "w", kChannelLinear, std::vector<double>(5, 0.5))).status(),
      IsConfigError("conv", "w", "scale", "5 scales match no dimension of shape [4, 2, 3, 3]"));
}

TEST_F(ConfigResolverTest, StatedChannelAxisMayCountFromTheEnd) {
  TensorConfigSpec spec = Spec("conv", "w", kChannelLinear, std::vector<double>(3, 0.5));
  spec.channel_axis = -1;
  EXPECT_THAT(ChannelAxis(spec), IsAxis(3));
  spec.channel_axis = -2;
  EXPECT_THAT(ChannelAxis(spec), IsAxis(2));
  spec.channel_axis = 2;
  EXPECT_THAT(ChannelAxis(spec), IsAxis(2));
}

TEST_F(ConfigResolverTest, StatedChannelAxisOutOfRangeIsAnError) {
  TensorConfigSpec spec = Spec("conv", "w", kChannelLinear, std::vector<double>(4, 0.5));
  for (int axis : {4, -5}) {
    spec.channel_axis = axis;
    EXPECT_THAT(ChannelAxis(spec).status(),
                IsConfigError("conv", "w", "channel_axis",
                              absl::StrCat("channel_axis ", axis,
                                           " is out of range for shape [4, 2, 3, 3]; "
                                           "expected -4 to 3")));
  }
}

TEST_F(ConfigResolverTest, ScaleCountMustMatchTheStatedChannelAxis) {
  TensorConfigSpec spec = Spec("conv", "w", kChannelLinear, std::vector<double>(4, 0.5));
  spec.channel_axis = 1;
  EXPECT_THAT(ChannelAxis(spec).status(),
              IsConfigError("conv", "w", "scale",
                            "4 scales, but channel_axis 1 of shape [4, 2, 3, 3] has 2 channels"));
}

TEST_F(ConfigResolverTest, ScalarCannotBePerChannel) {
  EXPECT_THAT(Resolve({Spec("clip", "lo", kChannelLinear, {0.5}, QuantState::kPassive)}).status(),
              IsConfigError("clip", "lo", "channel_axis",
                            "scalar (rank-0) parameter cannot be quantized PER_CHANNEL"));
}

// ---- DYNAMIC.

TEST_F(ConfigResolverTest, DynamicNeedsNoScaleAndIgnoresAStatedOne) {
  absl::StatusOr<TensorQuantConfig> config =
      ResolveLast({Spec("conv", "w", kTensorLinear | kDynamic, {-1, 2})});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->scale, IsEmpty());
  EXPECT_THAT(config->offset, IsEmpty());
}

TEST_F(ConfigResolverTest, DynamicPerChannelUsesConventionOrStatedAxis) {
  const uint32_t policy = kChannelLinear | kDynamic;
  EXPECT_THAT(ChannelAxis(Spec("deconv", "wt", policy, {})), IsAxis(1));
  EXPECT_THAT(ChannelAxis(Spec("mul", "k", policy, {})).status(),
              IsConfigError("mul", "k", "channel_axis",
                            "DYNAMIC PER_CHANNEL parameter of shape [3, 5, 5] feeding Mul"));
  TensorConfigSpec spec = Spec("mul", "k", policy, {});
  spec.channel_axis = -1;
  EXPECT_THAT(ChannelAxis(spec), IsAxis(2));
}

// ---- PASSIVE biases.

TEST_F(ConfigResolverTest, PassiveBiasScaleIsInputTimesWeightScaleInFloat32) {
  // In double, 0.1 * 0.3 narrows to a different float32 than 0.1f * 0.3f; PPQ
  // multiplies float32 tensors.
  const std::vector<double> weight = {0.3, 0.2, 0.6, 0.9};
  TensorConfigSpec bias = Spec("conv", "b", kChannelLinear, {}, QuantState::kPassive);
  bias.num_of_bits = 32;
  bias.quant_min = -2147483647;
  bias.quant_max = 2147483647;
  absl::StatusOr<std::vector<ResolvedConfig>> resolved =
      Resolve({Spec("conv", "x", kTensorLinear, {0.1}, QuantState::kOverlapped),
               Spec("conv", "w", kChannelLinear, weight), bias});
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  ASSERT_EQ(resolved->size(), 2u);
  const ResolvedConfig& derived = resolved->back();
  EXPECT_TRUE(derived.scale_derived);
  std::vector<float> expected;
  for (double w : weight) {
    expected.push_back(0.1f * static_cast<float>(w));
    EXPECT_NE(FloatBits(expected.back()), FloatBits(static_cast<float>(0.1 * w)));
  }
  EXPECT_EQ(Bits(derived.config.scale), Bits(expected));
  EXPECT_THAT(derived.config.offset, ElementsAre(0, 0, 0, 0));
  EXPECT_EQ(derived.config.channel_axis, 0);
  EXPECT_EQ(derived.config.state, QuantState::kPassive);
}

TEST_F(ConfigResolverTest, PassiveBiasOfPerTensorWeightHasOneScale) {
  absl::StatusOr<std::vector<ResolvedConfig>> resolved =
      Resolve({Spec("gemm", "y", kTensorLinear, {0.5}), Spec("gemm", "wg", kTensorLinear, {0.25}),
               Spec("gemm", "bg", kTensorLinear, {}, QuantState::kPassive)});
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_TRUE(resolved->back().scale_derived);
  EXPECT_THAT(resolved->back().config.scale, ElementsAre(0.125f));
}

TEST_F(ConfigResolverTest, PassiveBiasOfConvTransposeIsDerived) {
  absl::StatusOr<std::vector<ResolvedConfig>> resolved =
      Resolve({Spec("deconv", "bt", kChannelLinear, {}, QuantState::kPassive),
               Spec("deconv", "g", kTensorLinear, {2}),
               Spec("deconv", "wt", kChannelLinear, {1, 2, 3, 4, 5, 6})});
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_TRUE(resolved->front().scale_derived);
  EXPECT_THAT(resolved->front().config.scale, ElementsAre(2, 4, 6, 8, 10, 12));
}

TEST_F(ConfigResolverTest, StatedBiasScaleIsNotDerived) {
  absl::StatusOr<std::vector<ResolvedConfig>> resolved =
      Resolve({Spec("gemm", "y", kTensorLinear, {0.5}), Spec("gemm", "wg", kTensorLinear, {0.25}),
               Spec("gemm", "bg", kTensorLinear, {0.75}, QuantState::kPassive)});
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_FALSE(resolved->back().scale_derived);
  EXPECT_THAT(resolved->back().config.scale, ElementsAre(0.75f));
}

TEST_F(ConfigResolverTest, PassiveBiasWithoutSourceScalesIsAnError) {
  const TensorConfigSpec bias = Spec("conv", "b", kChannelLinear, {}, QuantState::kPassive);
  EXPECT_THAT(
      Resolve({Spec("conv", "w", kChannelLinear, std::vector<double>(4, 0.5)), bias}).status(),
      IsConfigError("conv", "b", "scale",
                    "missing: no scale is stated, and the PASSIVE bias "
                    "scale cannot be derived because the input 'x'"));
  EXPECT_THAT(
      Resolve({Spec("conv", "x", kTensorLinear, {0.5}),
               Spec("conv", "w", kChannelLinear, {}, QuantState::kFp32), bias})
          .status(),
      IsConfigError("conv", "b", "scale", "the weight 'w' of this operation has no config"));
}

TEST_F(ConfigResolverTest, PassiveBiasNeedsPerTensorInputScale) {
  EXPECT_THAT(Resolve({Spec("conv", "x", kChannelLinear, {0.5, 0.5}),
                       Spec("conv", "w", kChannelLinear, std::vector<double>(4, 0.5)),
                       Spec("conv", "b", kChannelLinear, {}, QuantState::kPassive)})
                  .status(),
              IsConfigError("conv", "b", "scale", "input 'x' has 2 scales, expected 1"));
}

TEST_F(ConfigResolverTest, DerivedBiasScaleIsValidatedLikeAStatedOne) {
  EXPECT_THAT(Resolve({Spec("conv", "x", kTensorLinear, {0.5}),
                       Spec("conv", "w", kChannelLinear, {0.5, 0.5, 0.5, -0.5}, QuantState::kFp32),
                       Spec("conv", "b", kChannelLinear, {}, QuantState::kPassive)})
                  .status(),
              IsConfigError("conv", "b", "scale", "scale[3] is -0.25"));
}

// ---- Sizes from dimensions.

constexpr int64_t kHugeDim = int64_t{1} << 62;

TEST_F(ConfigResolverTest, DynamicOfAnEmptyParameterIsAnErrorOfThePolicy) {
  // ConvTranspose's channel axis 1 has 2^62 channels, but no values to solve from.
  AddNode("empty", "ConvTranspose", {"t", "we"}, {"e"});
  AddInitializer("we", {0, kHugeDim, 1, 1});
  for (uint32_t granularity : {kPerTensor, kPerChannel}) {
    EXPECT_THAT(
        Resolve({Spec("empty", "we", granularity | kLinear | kSymmetrical | kDynamic, {})})
            .status(),
        IsConfigError("empty", "we", "policy",
                      "DYNAMIC solves the scale from the parameter's values, and the parameter "
                      "of shape [0, 4611686018427387904, 1, 1] has none"));
  }
}

TEST_F(ConfigResolverTest, EmptyParameterWithAStatedScalePerChannelResolves) {
  // No values wherever the 0 stands, and no element count overflow from the others.
  AddNode("empty", "ConvTranspose", {"t", "we"}, {"e"});
  AddInitializer("we", {kHugeDim, 3, kHugeDim, 0});
  EXPECT_THAT(ChannelAxis(Spec("empty", "we", kChannelLinear, {0.5, 0.25, 0.125})), IsAxis(1));
  EXPECT_TRUE(Resolve({Spec("empty", "we", kTensorLinear, {0.5})}).ok());
  EXPECT_THAT(Resolve({Spec("empty", "we", kChannelLinear, {0.5, 0.5})}).status(),
              IsConfigError("empty", "we", "scale",
                            "2 scales match no dimension of shape [4611686018427387904, 3, "
                            "4611686018427387904, 0]"));
}

// ---- Float32 range.

TEST_F(ConfigResolverTest, QuantBoundsMustBeFloat32) {
  TensorConfigSpec spec = Spec("conv", "w", kTensorLinear, {0.5});
  spec.quant_max = 1e39;
  EXPECT_THAT(Resolve({spec}).status(),
              IsConfigError("conv", "w", "quant_max",
                            "quant_max (1e+39) is beyond float32's range (largest "
                            "3.40282347e+38)"));
  spec.quant_max = 127;
  spec.quant_min = -1e39;
  EXPECT_THAT(Resolve({spec}).status(),
              IsConfigError("conv", "w", "quant_min", "quant_min (-1e+39) is beyond float32"));
}

TEST_F(ConfigResolverTest, ScaleAndOffsetMustDequantizeTheRangeToFiniteFloat32) {
  // Every value would bake to (0 - 3e38) * 2 = -inf.
  TensorConfigSpec spec = Spec("conv", "w", kPerTensor | kLinear | kAsymmetrical, {2});
  spec.quant_min = 0;
  spec.quant_max = 1e38;
  spec.offset = {3e38};
  EXPECT_THAT(Resolve({spec}).status(),
              IsConfigError("conv", "w", "scale",
                            "scale[0] 2 and zero_point[0] 3.00000001e+38 dequantize q = 0, an end "
                            "of the quantized range [0, 9.99999968e+37], to -inf in float32"));
  // 1e38 + 3e38 overflows before the product.
  spec.scale = {0.5};
  spec.offset = {-3e38};
  EXPECT_THAT(Resolve({spec}).status(),
              IsConfigError("conv", "w", "zero_point",
                            "dequantize q = 9.99999968e+37, an end of the quantized range [0, "
                            "9.99999968e+37], to inf"));
  EXPECT_THAT(Resolve({Spec("conv", "w", kChannelLinear, {0.5, 0.5, 1e37, 0.5})}).status(),
              IsConfigError("conv", "w", "scale",
                            "scale[2] 9.99999993e+36 and zero_point[2] 0 dequantize q = -128"));
  TensorConfigSpec int32 = Spec("conv", "w", kTensorLinear, {1e29});
  int32.num_of_bits = 32;
  int32.quant_min = -2147483648.0;
  int32.quant_max = 2147483647;
  EXPECT_TRUE(Resolve({int32}).ok());
}

TEST_F(ConfigResolverTest, FloatingDequantizesItsFormatsRangeNotQuantMax) {
  TensorConfigSpec spec =
      Spec("conv", "w", kPerTensor | kFloating | kSymmetrical | kPowerOf2, {0x1p118});
  spec.quant_min = -1e30;
  spec.quant_max = 1e30;
  EXPECT_TRUE(Resolve({spec}).ok());  // E4M3's 480 * 2^118 is finite
  spec.scale = {0x1p120};
  EXPECT_THAT(Resolve({spec}).status(),
              IsConfigError("conv", "w", "scale",
                            "dequantize q = -480, an end of the quantized range [-480, 480]"));
  // E1M0 rounds |u| < 2 to a multiple of 2: q reaches 2, beyond quant_max 0.5.
  spec.num_of_bits = 2;
  spec.exponent_bits = 1;
  spec.quant_min = -0.5;
  spec.quant_max = 0.5;
  spec.scale = {0x1p126};
  EXPECT_TRUE(Resolve({spec}).ok());
  spec.scale = {0x1p127};
  EXPECT_THAT(Resolve({spec}).status(),
              IsConfigError("conv", "w", "scale", "the quantized range [-2, 2], to -inf"));
}

TEST_F(ConfigResolverTest, FloatingMantissaMustFitFloat32) {
  TensorConfigSpec spec =
      Spec("conv", "w", kPerTensor | kFloating | kSymmetrical | kPowerOf2, {0.5});
  spec.num_of_bits = 32;
  spec.exponent_bits = 8;
  spec.quant_min = -1e30;
  spec.quant_max = 1e30;
  EXPECT_TRUE(Resolve({spec}).ok());  // float32 itself
  spec.exponent_bits = 2;
  EXPECT_THAT(Resolve({spec}).status(),
              IsConfigError("conv", "w", "exponent_bits",
                            "exponent_bits 2 leaves bit_width - exponent_bits - 1 = 29 mantissa "
                            "bits, more than float32's 23"));
}

TEST_F(ConfigResolverTest, DerivedBiasScaleMustBeFiniteAndPositiveInFloat32) {
  const TensorConfigSpec bias = Spec("gemm", "bg", kTensorLinear, {}, QuantState::kPassive);
  EXPECT_THAT(Resolve({Spec("gemm", "y", kTensorLinear, {1e20}),
                       Spec("gemm", "wg", kTensorLinear, {1e20}), bias})
                  .status(),
              IsConfigError("gemm", "bg", "scale",
                            "the PASSIVE bias scale[0] derived as input scale 1.00000002e+20 * "
                            "weight scale[0] 1.00000002e+20 is inf in float32"));
  EXPECT_THAT(Resolve({Spec("gemm", "y", kTensorLinear, {1e-30}),
                       Spec("gemm", "wg", kTensorLinear, {1e-30}), bias})
                  .status(),
              IsConfigError("gemm", "bg", "scale", "weight scale[0] 1e-30 is 0 in float32"));
}

// ---- PPQ's own documents and models.

class PpqE2eResolveTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string dir = absl::StrCat("ppq_e2e/", GetParam(), "/");
    ASSERT_TRUE(model_.ParseFromString(
        testing::ReadFileOrDie(testing::TestDataPath(absl::StrCat(dir, "model.onnx")))));
    absl::StatusOr<PpqConfigDocument> document = PpqConfigDocument::Parse(
        testing::ReadFileOrDie(testing::TestDataPath(absl::StrCat(dir, "ppq_config.json"))));
    ASSERT_TRUE(document.ok()) << document.status();
    specs_ = document->specs();
    states_ = nlohmann::json::parse(
        testing::ReadFileOrDie(testing::TestDataPath(absl::StrCat(dir, "states.json"))));
    index_ = std::make_unique<GraphIndex>(model_.mutable_graph());
  }

  onnx::ModelProto model_;
  std::vector<TensorConfigSpec> specs_;
  nlohmann::json states_;
  std::unique_ptr<GraphIndex> index_;
};

TEST_P(PpqE2eResolveTest, ResolvesExactlyTheParametersPpqBaked) {
  absl::StatusOr<std::vector<ResolvedConfig>> resolved =
      ConfigResolver(index_.get(), Rounding::kHalfEven).Resolve(specs_);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  std::set<std::string> baked;
  for (const ResolvedConfig& config : *resolved) baked.insert(config.parameter->name);
  std::set<std::string> expected;
  for (const auto& [name, state] : states_.items()) {
    if (state["before"] != state["after"]) expected.insert(name);
  }
  EXPECT_EQ(baked, expected);
}

// PPQ wrote the bias scales it derived (PPL_CUDA_INT8's 32-bit PASSIVE biases):
// without them, the resolver derives the same float32 values.
TEST_P(PpqE2eResolveTest, DerivesPassiveBiasScalesAsPpqDid) {
  std::vector<TensorConfigSpec> without_bias_scales = specs_;
  for (TensorConfigSpec& spec : without_bias_scales) {
    if (spec.state == QuantState::kPassive && spec.num_of_bits == 32) spec.scale.clear();
  }
  absl::StatusOr<std::vector<ResolvedConfig>> stated =
      ConfigResolver(index_.get(), Rounding::kHalfEven).Resolve(specs_);
  absl::StatusOr<std::vector<ResolvedConfig>> derived =
      ConfigResolver(index_.get(), Rounding::kHalfEven).Resolve(without_bias_scales);
  ASSERT_TRUE(stated.ok()) << stated.status();
  ASSERT_TRUE(derived.ok()) << derived.status();
  ASSERT_EQ(stated->size(), derived->size());
  for (size_t i = 0; i < stated->size(); ++i) {
    SCOPED_TRACE((*stated)[i].parameter->name);
    EXPECT_EQ(Bits((*derived)[i].config.scale), Bits((*stated)[i].config.scale));
    EXPECT_EQ((*derived)[i].config.channel_axis, (*stated)[i].config.channel_axis);
  }
}

INSTANTIATE_TEST_SUITE_P(PpqE2e, PpqE2eResolveTest, ::testing::ValuesIn(testing::E2eCaseNames()));

TEST(PpqE2eResolveDetailsTest, PlatformRoundingAndFp8ExponentBitsComeThrough) {
  for (const auto& [name, rounding, exponent_bits] :
       {std::make_tuple("synth_ncnn_int8", Rounding::kHalfFarFromZero, 0),
        std::make_tuple("synth_graphcore_fp8", Rounding::kHalfEven, 4)}) {
    SCOPED_TRACE(name);
    const std::string dir = absl::StrCat("ppq_e2e/", name, "/");
    onnx::ModelProto model;
    ASSERT_TRUE(model.ParseFromString(
        testing::ReadFileOrDie(testing::TestDataPath(absl::StrCat(dir, "model.onnx")))));
    absl::StatusOr<PpqConfigDocument> document = PpqConfigDocument::Parse(
        testing::ReadFileOrDie(testing::TestDataPath(absl::StrCat(dir, "ppq_config.json"))));
    ASSERT_TRUE(document.ok()) << document.status();
    GraphIndex index(model.mutable_graph());
    absl::StatusOr<std::vector<ResolvedConfig>> resolved =
        ConfigResolver(&index, Rounding::kDown).Resolve(document->specs());
    ASSERT_TRUE(resolved.ok()) << resolved.status();
    ASSERT_FALSE(resolved->empty());
    for (const ResolvedConfig& config : *resolved) {
      EXPECT_EQ(config.config.rounding, rounding);
      EXPECT_EQ(config.config.exponent_bits, exponent_bits);
    }
  }
}

}  // namespace
}  // namespace qbake
