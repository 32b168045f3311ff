#include "core/ppq_config_document.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/large_config_documents.h"
#include "tests/support/test_data.h"

namespace qbake {
namespace {

using ::testing::ElementsAre;
using testing::FloatBits;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string E2eConfigText(const std::string& name) {
  return testing::ReadFileOrDie(
      testing::TestDataPath(absl::StrCat("ppq_e2e/", name, "/ppq_config.json")));
}

// A document with one config for (conv, w): PPQ's fields, then `extra` fields.
std::string OneConfig(const std::string& extra, const std::string& values = "{}") {
  return absl::StrCat(R"({"configs": {"conv": {"w": {"bit_width": 8, "policy": {"PER_TENSOR": true,
                          "LINEAR": true, "SYMMETRICAL": true}, "state": "ACTIVATED",
                          "quant_min": -128, "quant_max": 127)",
                      extra, R"(}}}, "values": )", values, "}");
}

absl::StatusOr<TensorConfigSpec> ParseOne(const std::string& extra,
                                          const std::string& values = "{}") {
  absl::StatusOr<PpqConfigDocument> document = PpqConfigDocument::Parse(OneConfig(extra, values));
  if (!document.ok()) return document.status();
  if (document->specs().size() != 1) return absl::InternalError("not one spec");
  return document->specs().front();
}

// The status is INVALID_ARGUMENT and its message holds every one of `parts`.
MATCHER_P(IsInvalidWith, parts, "") {
  *result_listener << "status: " << arg;
  if (arg.code() != absl::StatusCode::kInvalidArgument) return false;
  for (const std::string& part : parts) {
    if (!absl::StrContains(arg.message(), part)) return false;
  }
  return true;
}

std::vector<std::string> FieldError(const std::string& field, const std::string& detail) {
  return {"operation 'conv', variable 'w', field '" + field + "'", detail};
}

// Outcomes that leave every config's state as the document states it.
std::vector<ConfigOutcome> Unchanged(const PpqConfigDocument& document) {
  std::vector<ConfigOutcome> outcomes(document.specs().size());
  for (size_t i = 0; i < outcomes.size(); ++i) outcomes[i].state_after = document.specs()[i].state;
  return outcomes;
}

// ---- PPQ's own files.

class PpqE2eDocumentTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PpqE2eDocumentTest, ParsesEveryConfigWithItsPlatform) {
  const std::string text = E2eConfigText(GetParam());
  absl::StatusOr<PpqConfigDocument> document = PpqConfigDocument::Parse(text);
  ASSERT_TRUE(document.ok()) << document.status();
  const nlohmann::json raw = nlohmann::json::parse(text);
  size_t count = 0;
  for (const auto& operation : raw["configs"].items()) count += operation.value().size();
  ASSERT_EQ(document->specs().size(), count);
  for (const TensorConfigSpec& spec : document->specs()) {
    const nlohmann::json& config = raw["configs"][spec.operation][spec.variable];
    EXPECT_EQ(spec.num_of_bits, config["bit_width"].get<int>());
    EXPECT_EQ(spec.quant_min, config["quant_min"].get<double>());
    EXPECT_EQ(StateName(spec.state), config["state"].get<std::string>());
    ASSERT_TRUE(spec.platform.has_value());
    EXPECT_EQ(*spec.platform, raw["dispatchings"][spec.operation].get<std::string>());
  }
}

// Render writes PPQ's layout (json.dump, indent 4, shortest float repr). The files
// PPQ wrote come back byte for byte; the PaddleOCR case's file was written another way
// (2-space indent, 17 significant digits such as 0.0054699950851500034), so it comes
// back with the same keys, order and values in PPQ's layout.
TEST_P(PpqE2eDocumentTest, RendersTheSameDocumentWhenNoStateChanges) {
  const std::string text = E2eConfigText(GetParam());
  absl::StatusOr<PpqConfigDocument> document = PpqConfigDocument::Parse(text);
  ASSERT_TRUE(document.ok()) << document.status();
  const std::string rendered = document->Render(Unchanged(*document));
  EXPECT_TRUE(nlohmann::ordered_json::parse(rendered) == nlohmann::ordered_json::parse(text));
  if (GetParam() != "ocrcls_openvino_int8") {
    EXPECT_EQ(rendered, text);
  }
}

TEST_P(PpqE2eDocumentTest, RendersBakedStates) {
  absl::StatusOr<PpqConfigDocument> document = PpqConfigDocument::Parse(E2eConfigText(GetParam()));
  ASSERT_TRUE(document.ok()) << document.status();
  std::vector<ConfigOutcome> outcomes = Unchanged(*document);
  for (ConfigOutcome& outcome : outcomes) outcome.state_after = BakedState(outcome.state_after);
  absl::StatusOr<PpqConfigDocument> rendered = PpqConfigDocument::Parse(document->Render(outcomes));
  ASSERT_TRUE(rendered.ok()) << rendered.status();
  ASSERT_EQ(rendered->specs().size(), document->specs().size());
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const TensorConfigSpec& before = document->specs()[i];
    const TensorConfigSpec& after = rendered->specs()[i];
    EXPECT_EQ(after.state, BakedState(before.state));
    EXPECT_EQ(after.operation, before.operation);
    EXPECT_EQ(after.variable, before.variable);
    EXPECT_EQ(after.scale, before.scale);
  }
}

INSTANTIATE_TEST_SUITE_P(PpqE2e, PpqE2eDocumentTest, ::testing::ValuesIn(testing::E2eCaseNames()));

TEST(PpqConfigDocumentTest, ReadsPpqFieldsAndScalesThroughDominator) {
  absl::StatusOr<PpqConfigDocument> document =
      PpqConfigDocument::Parse(E2eConfigText("synth_trt_int8"));
  ASSERT_TRUE(document.ok()) << document.status();
  const TensorConfigSpec& input = document->specs()[0];
  EXPECT_EQ(input.operation, "/c1/Conv");
  EXPECT_EQ(input.variable, "input");
  EXPECT_EQ(input.policy, kPerTensor | kLinear | kSymmetrical);
  EXPECT_EQ(input.state, QuantState::kActivated);
  EXPECT_EQ(input.num_of_bits, 8);
  EXPECT_EQ(input.quant_min, -128);
  EXPECT_EQ(input.quant_max, 127);
  EXPECT_EQ(input.platform, "TRT_INT8");
  EXPECT_THAT(input.scale, ElementsAre(0.007832217030227184));
  EXPECT_THAT(input.offset, ElementsAre(0.0));
  EXPECT_FALSE(input.rounding.has_value());
  EXPECT_FALSE(input.channel_axis.has_value());
  EXPECT_FALSE(input.exponent_bits.has_value());
  // /Relu's input is OVERLAPPED: its hash has no values entry, its dominator has.
  const TensorConfigSpec& overlapped = document->specs()[4];
  EXPECT_EQ(overlapped.operation, "/Relu");
  EXPECT_EQ(overlapped.state, QuantState::kOverlapped);
  EXPECT_THAT(overlapped.scale, ElementsAre(0.019525883719325066));
  // An FP32 bias has no values entry at all.
  const TensorConfigSpec& bias = document->specs()[2];
  EXPECT_EQ(bias.variable, "onnx::Conv_33");
  EXPECT_THAT(bias.scale, IsEmpty());
  EXPECT_THAT(bias.offset, IsEmpty());
}

TEST(PpqConfigDocumentTest, ReadsFp8FloatLimitsAndPerChannelLists) {
  absl::StatusOr<PpqConfigDocument> document =
      PpqConfigDocument::Parse(E2eConfigText("synth_graphcore_fp8"));
  ASSERT_TRUE(document.ok()) << document.status();
  const TensorConfigSpec& weight = document->specs()[1];
  EXPECT_EQ(weight.policy, kPerChannel | kFloating | kSymmetrical | kPowerOf2);
  EXPECT_EQ(weight.quant_min, -448.0);
  EXPECT_EQ(weight.quant_max, 448.0);
  EXPECT_EQ(weight.scale, std::vector<double>(16, 0.0078125));
  EXPECT_EQ(weight.offset, std::vector<double>(16, 0.0));
}

// ---- qbake's extensions.

TEST(PpqConfigDocumentTest, ReadsInlineExtensions) {
  absl::StatusOr<TensorConfigSpec> spec = ParseOne(
      R"(, "rounding": "ROUND_HALF_FAR_FROM_ZERO", "channel_axis": -1, "exponent_bits": 5,
         "scale": [0.5, 0.25], "zero_point": 3, "comment": {"ignored": [1, 2]})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->rounding, Rounding::kHalfFarFromZero);
  EXPECT_EQ(spec->channel_axis, -1);
  EXPECT_EQ(spec->exponent_bits, 5);
  EXPECT_THAT(spec->scale, ElementsAre(0.5, 0.25));
  EXPECT_THAT(spec->offset, ElementsAre(3.0));
}

TEST(PpqConfigDocumentTest, ReadsRoundingAndStateAsNumbers) {
  absl::StatusOr<PpqConfigDocument> document = PpqConfigDocument::Parse(
      R"({"configs": {"conv": {"w": {"bit_width": 8, "policy": 21, "state": 5,
          "quant_min": -128.0, "quant_max": 127, "rounding": 6}}}})");
  ASSERT_TRUE(document.ok()) << document.status();
  const TensorConfigSpec& spec = document->specs().front();
  EXPECT_EQ(spec.state, QuantState::kPassive);
  EXPECT_EQ(spec.rounding, Rounding::kUp);
  EXPECT_EQ(spec.policy, kPerTensor | kLinear | kSymmetrical);
  EXPECT_FALSE(spec.platform.has_value());
}

TEST(PpqConfigDocumentTest, ReadsPolicyAsDictionaryListOrBits) {
  const uint32_t expected = kPerChannel | kLinear | kAsymmetrical | kPowerOf2;
  for (const std::string& policy :
       {std::string(R"({"PER_CHANNEL": true, "PER_TENSOR": false, "LINEAR": true,
                        "ASYMMETRICAL": true, "POWER_OF_2": true, "DYNAMIC": false})"),
        std::string(R"(["PER_CHANNEL", "LINEAR", "ASYMMETRICAL", "POWER_OF_2"])"),
        std::to_string(expected)}) {
    absl::StatusOr<PpqConfigDocument> document = PpqConfigDocument::Parse(absl::StrCat(
        R"({"configs": {"conv": {"w": {"bit_width": 8, "state": "ACTIVATED", "quant_min": 0,
            "quant_max": 255, "policy": )",
        policy, "}}}}"));
    ASSERT_TRUE(document.ok()) << document.status();
    EXPECT_EQ(document->specs().front().policy, expected) << policy;
  }
}

TEST(PpqConfigDocumentTest, InlineScaleBeatsDominatorWhichBeatsHash) {
  const std::string values = R"({"1": {"scale": 0.5, "zero_point": 1},
                                 "4000000000": {"scale": [0.25], "zero_point": [2]}})";
  absl::StatusOr<TensorConfigSpec> by_hash = ParseOne(R"(, "hash": 1, "dominator": 7)", values);
  ASSERT_TRUE(by_hash.ok()) << by_hash.status();
  EXPECT_THAT(by_hash->scale, ElementsAre(0.5));
  EXPECT_THAT(by_hash->offset, ElementsAre(1.0));

  absl::StatusOr<TensorConfigSpec> by_dominator =
      ParseOne(R"(, "hash": 1, "dominator": 4000000000)", values);
  ASSERT_TRUE(by_dominator.ok()) << by_dominator.status();
  EXPECT_THAT(by_dominator->scale, ElementsAre(0.25));
  EXPECT_THAT(by_dominator->offset, ElementsAre(2.0));

  absl::StatusOr<TensorConfigSpec> inline_scale =
      ParseOne(R"(, "hash": 1, "dominator": 4000000000, "scale": 0.125)", values);
  ASSERT_TRUE(inline_scale.ok()) << inline_scale.status();
  EXPECT_THAT(inline_scale->scale, ElementsAre(0.125));
  EXPECT_THAT(inline_scale->offset, IsEmpty());  // not mixed with the values entry
}

// ---- Errors.

TEST(PpqConfigDocumentTest, MalformedJsonNamesTheBytePosition) {
  EXPECT_THAT(PpqConfigDocument::Parse(R"({"configs": })").status(),
              IsInvalidWith(std::vector<std::string>{"malformed JSON at byte 13"}));
  EXPECT_THAT(PpqConfigDocument::Parse("").status(),
              IsInvalidWith(std::vector<std::string>{"malformed JSON at byte 1"}));
}

TEST(PpqConfigDocumentTest, RefusesDeepNestingWithoutExhaustingTheStack) {
  const int levels = 100000;
  const std::string deep = absl::StrCat(R"({"configs": {}, "deep": )", std::string(levels, '['),
                                        std::string(levels, ']'), "}");
  EXPECT_THAT(PpqConfigDocument::Parse(deep).status(),
              IsInvalidWith(std::vector<std::string>{"nested deeper than 64 levels"}));
}

TEST(PpqConfigDocumentTest, NestingLimitIsExactly64Levels) {
  auto nested = [](int levels) {  // the root object is level 1
    return absl::StrCat(R"({"configs": {}, "deep": )", std::string(levels - 1, '['),
                        std::string(levels - 1, ']'), "}");
  };
  EXPECT_TRUE(PpqConfigDocument::Parse(nested(PpqConfigDocument::kMaxNestingDepth)).ok());
  EXPECT_FALSE(PpqConfigDocument::Parse(nested(PpqConfigDocument::kMaxNestingDepth + 1)).ok());
}

TEST(PpqConfigDocumentTest, WrongDocumentShapeIsAnError) {
  EXPECT_THAT(PpqConfigDocument::Parse("[]").status(),
              IsInvalidWith(std::vector<std::string>{"must be a JSON object"}));
  EXPECT_THAT(
      PpqConfigDocument::Parse(R"({"values": {}})").status(),
      IsInvalidWith(std::vector<std::string>{"\"configs\" must be an object, found nothing"}));
  EXPECT_THAT(PpqConfigDocument::Parse(R"({"configs": {}, "values": []})").status(),
              IsInvalidWith(std::vector<std::string>{"\"values\" must be an object, found array"}));
  EXPECT_THAT(PpqConfigDocument::Parse(R"({"configs": {"conv": 3}})").status(),
              IsInvalidWith(std::vector<std::string>{"configs of operation 'conv'", "number 3"}));
  EXPECT_THAT(
      PpqConfigDocument::Parse(R"({"configs": {"conv": {}}, "dispatchings": {"conv": 1}})")
          .status(),
      IsInvalidWith(std::vector<std::string>{"dispatchings of operation 'conv'", "number 1"}));
}

TEST(PpqConfigDocumentTest, MissingOrWrongTypedFieldNamesOperationVariableAndField) {
  EXPECT_THAT(PpqConfigDocument::Parse(R"({"configs": {"conv": {"w": 1}}})").status(),
              IsInvalidWith(FieldError("configs", "expected an object, found number 1")));
  EXPECT_THAT(
      PpqConfigDocument::Parse(R"({"configs": {"conv": {"w": {"bit_width": 8, "policy": 21}}}})")
          .status(),
      IsInvalidWith(FieldError("state", "missing")));
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {R"(, "bit_width": "8")",
       FieldError("bit_width", "expected an integer in int range, found string \"8\"")},
      {R"(, "bit_width": 8.5)", FieldError("bit_width", "found number 8.5")},
      {R"(, "bit_width": 4294967304)", FieldError("bit_width", "found number 4294967304")},
      {R"(, "quant_max": "127")", FieldError("quant_max", "expected a number")},
      {R"(, "state": "COOKED")", FieldError("state", "unknown state 'COOKED'")},
      {R"(, "state": true)",
       FieldError("state", "expected a state name or number, found boolean true")},
      {R"(, "policy": {"LINEAR": 1})", FieldError("policy", "expected true or false for 'LINEAR'")},
      {R"(, "policy": ["LINEAR", "FAST"])", FieldError("policy", "unknown policy property 'FAST'")},
      {R"(, "policy": -1)", FieldError("policy", "a policy bit set of 32 bits")},
      {R"(, "policy": "LINEAR")", FieldError("policy", "found string")},
      {R"(, "rounding": "ROUND_SOMEHOW")", FieldError("rounding", "unknown rounding")},
      {R"(, "rounding": 8)", FieldError("rounding", "unknown rounding 8")},
      {R"(, "channel_axis": "0")", FieldError("channel_axis", "expected an integer")},
      {R"(, "exponent_bits": null)", FieldError("exponent_bits", "found null")},
      {R"(, "scale": [0.5, "x"])", FieldError("scale", "found string \"x\"")},
      {R"(, "scale": {"a": 1})",
       FieldError("scale", "expected a number or a list of numbers, found object")},
      {R"(, "zero_point": [true])", FieldError("zero_point", "found boolean")},
      {R"(, "hash": "12")", FieldError("hash", "expected an integer")},
  };
  // Each case repeats a key of OneConfig; the later value replaces the earlier one.
  for (const auto& [extra, parts] : cases) {
    EXPECT_THAT(ParseOne(extra).status(), IsInvalidWith(parts)) << extra;
  }
}

TEST(PpqConfigDocumentTest, MalformedValuesEntryNamesOperationVariableAndField) {
  EXPECT_THAT(ParseOne(R"(, "hash": 9)", R"({"9": [0.5]})").status(),
              IsInvalidWith(FieldError("scale", "its \"values\" entry must be an object")));
  EXPECT_THAT(ParseOne(R"(, "hash": 9)", R"({"9": {"scale": "big", "zero_point": 0}})").status(),
              IsInvalidWith(FieldError("scale", "in its \"values\" entry: expected a number")));
}

// ---- Documents of hostile size: reading costs O(n log n) or better in every shape
// (tests/bench/config_document_bench measures it).

TEST(PpqConfigDocumentTest, ReadsAMillionValuesKeys) {
  const size_t keys = 1000000;
  absl::StatusOr<PpqConfigDocument> document =
      PpqConfigDocument::Parse(testing::DocumentWithValueKeys(keys));
  ASSERT_TRUE(document.ok()) << document.status();
  ASSERT_EQ(document->specs().size(), 1u);
  EXPECT_THAT(document->specs()[0].scale, ElementsAre(keys - 1 + 0.5));  // the last key's
  EXPECT_THAT(document->specs()[0].offset, ElementsAre(0.0));
}

TEST(PpqConfigDocumentTest, ReadsTwoHundredThousandOperations) {
  const size_t operations = 200000;
  absl::StatusOr<PpqConfigDocument> document =
      PpqConfigDocument::Parse(testing::DocumentWithConfigs(operations, 1));
  ASSERT_TRUE(document.ok()) << document.status();
  ASSERT_EQ(document->specs().size(), operations);
  for (size_t n : {size_t{0}, operations / 2, operations - 1}) {
    const TensorConfigSpec& spec = document->specs()[n];
    EXPECT_EQ(spec.operation, absl::StrCat("op", n));
    EXPECT_EQ(spec.variable, "w0");
    EXPECT_EQ(spec.platform, "TRT_INT8");
    EXPECT_THAT(spec.scale, ElementsAre(n + 0.5));
  }
}

TEST(PpqConfigDocumentTest, ReadsTwoHundredThousandVariablesOfOneOperation) {
  const size_t variables = 200000;
  absl::StatusOr<PpqConfigDocument> document =
      PpqConfigDocument::Parse(testing::DocumentWithConfigs(1, variables));
  ASSERT_TRUE(document.ok()) << document.status();
  ASSERT_EQ(document->specs().size(), variables);
  const TensorConfigSpec& last = document->specs().back();
  EXPECT_EQ(last.variable, absl::StrCat("w", variables - 1));
  EXPECT_THAT(last.scale, ElementsAre(variables - 1 + 0.5));
}

TEST(PpqConfigDocumentTest, RepeatedKeyKeepsItsFirstPlaceAndTakesItsLastValue) {
  // As Python's json.load reads PPQ's file. "values" is past the size where repeated
  // keys are found by hashing rather than pairwise.
  std::string filler;
  for (int i = 0; i < 20; ++i) absl::StrAppend(&filler, ", \"f", i, "\": ", i);
  const std::string text = absl::StrCat(
      R"({"configs": {"conv": {"w": 1, "w": {"bit_width": 8, "policy": 21, "state": "ACTIVATED",
          "quant_min": -128, "quant_max": 127, "hash": 9, "state": "PASSIVE"}}}, "note": 1,
          "values": {"9": {"scale": 0.5}, "9": {"scale": 0.25})",
      filler, R"(, "9": {"scale": 0.125}}, "note": 2})");
  absl::StatusOr<PpqConfigDocument> document = PpqConfigDocument::Parse(text);
  ASSERT_TRUE(document.ok()) << document.status();
  ASSERT_EQ(document->specs().size(), 1u);
  EXPECT_EQ(document->specs()[0].state, QuantState::kPassive);
  EXPECT_THAT(document->specs()[0].scale, ElementsAre(0.125));

  EXPECT_EQ(document->Render(Unchanged(*document)),
            nlohmann::ordered_json::parse(
                absl::StrCat(
                    R"({"configs": {"conv": {"w": {"bit_width": 8, "policy": 21, "state": "PASSIVE",
                    "quant_min": -128, "quant_max": 127, "hash": 9}}}, "note": 2,
                    "values": {"9": {"scale": 0.125})",
                    filler, "}}"))
                .dump(4));
}

TEST(PpqConfigDocumentTest, ReadsALongScaleList) {
  std::string scales = "0.5";
  for (int i = 1; i < 1000000; ++i) scales += ", 0.5";
  absl::StatusOr<TensorConfigSpec> spec = ParseOne(absl::StrCat(R"(, "scale": [)", scales, "]"));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->scale, std::vector<double>(1000000, 0.5));
}

// ---- Render.

TEST(PpqConfigDocumentTest, RenderWritesDerivedScalesInlineAsFloat32) {
  const std::string text =
      R"({"configs": {"conv": {"x": {"bit_width": 8, "policy": 21, "state": "ACTIVATED",
          "quant_min": -128, "quant_max": 127, "hash": 1, "dominator": 1},
          "b": {"bit_width": 32, "policy": 22, "state": "PASSIVE", "quant_min": -2147483647,
          "quant_max": 2147483647, "hash": 2, "dominator": 2}}},
          "values": {"1": {"scale": 0.1, "zero_point": 0.0}}})";
  absl::StatusOr<PpqConfigDocument> document = PpqConfigDocument::Parse(text);
  ASSERT_TRUE(document.ok()) << document.status();
  std::vector<ConfigOutcome> outcomes = Unchanged(*document);
  outcomes[0].state_after = QuantState::kActivated;
  outcomes[1].state_after = QuantState::kPassiveBaked;
  outcomes[1].scale_derived = true;
  const std::vector<float> derived = {0.1f * 0.3f, 0.1f * 0.7f};
  outcomes[1].scale = derived;
  const std::string rendered = document->Render(outcomes);

  const nlohmann::ordered_json json = nlohmann::ordered_json::parse(rendered);
  const nlohmann::ordered_json& bias = json["configs"]["conv"]["b"];
  EXPECT_EQ(bias["state"], "PASSIVE_BAKED");
  std::vector<std::string> keys;
  for (const auto& item : bias.items()) keys.push_back(item.key());
  EXPECT_THAT(keys, ElementsAre("bit_width", "policy", "state", "quant_min", "quant_max", "hash",
                                "dominator", "scale", "zero_point"));
  EXPECT_EQ(bias["zero_point"], nlohmann::ordered_json::parse("[0.0, 0.0]"));
  EXPECT_FALSE(json["configs"]["conv"]["x"].contains("scale"));

  absl::StatusOr<PpqConfigDocument> reread = PpqConfigDocument::Parse(rendered);
  ASSERT_TRUE(reread.ok()) << reread.status();
  const std::vector<double>& scale = reread->specs()[1].scale;
  ASSERT_EQ(scale.size(), derived.size());
  for (size_t i = 0; i < derived.size(); ++i) {
    EXPECT_EQ(FloatBits(static_cast<float>(scale[i])), FloatBits(derived[i]));
  }
  EXPECT_THAT(rendered, HasSubstr("\n    \"configs\": {\n        \"conv\": {"));
}

TEST(PpqConfigDocumentTest, RenderKeepsNumericStatesNumeric) {
  absl::StatusOr<PpqConfigDocument> document = PpqConfigDocument::Parse(
      R"({"configs": {"conv": {"w": {"bit_width": 8, "policy": 21, "state": 4,
          "quant_min": -128, "quant_max": 127}}}})");
  ASSERT_TRUE(document.ok()) << document.status();
  ConfigOutcome outcome;
  outcome.state_after = QuantState::kBaked;
  const nlohmann::ordered_json json = nlohmann::ordered_json::parse(document->Render({outcome}));
  EXPECT_EQ(json["configs"]["conv"]["w"]["state"], 2);
}

TEST(PpqConfigDocumentTest, RenderEscapesNonAsciiLikePython) {
  absl::StatusOr<PpqConfigDocument> document =
      PpqConfigDocument::Parse("{\"configs\": {}, \"note\": \"caf\xc3\xa9\"}");
  ASSERT_TRUE(document.ok()) << document.status();
  EXPECT_EQ(document->Render({}), "{\n    \"configs\": {},\n    \"note\": \"caf\\u00e9\"\n}");
}

}  // namespace
}  // namespace qbake
