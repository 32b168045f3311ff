// A local `qbake bake` reads the next parameter ahead while one bakes and writes the
// baked one behind while the next bakes (parameters of 1 to 64 MiB; cli/staged_bake.h).
// These tests hold parameters on both sides of that bound, external and inline: each
// baked value equals the core's bake of it bit for bit; the first bad parameter in
// config order is the error, though a later one is read ahead; and a write that fails
// behind the bake is the error, with nothing written.
#include <sys/resource.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/float_bits.h"
#include "core/tensor_baker.h"
#include "core/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_support.h"
#include "tests/support/model_builder.h"
#include "tests/support/model_parameters.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A MatMul weight: its columns (rows are kRows) and its per-tensor scale.
struct Weight {
  int64_t columns;
  float scale;
};

constexpr int64_t kRows = 512;
// 2 MiB, 2 MiB, 256 KiB (below the overlap), 2 MiB and 3 MiB of float32.
const Weight kWeights[] = {
    {1024, 0.031f}, {1024, 0.017f}, {128, 0.052f}, {1024, 0.023f}, {1536, 0.041f}};
constexpr int kWeightCount = sizeof(kWeights) / sizeof(kWeights[0]);

std::string WeightName(int i) { return absl::StrCat("W", i); }
std::string NodeName(int i) { return absl::StrCat("mm", i); }

// Weight i's values: spread over [-4, 4), different for each weight.
std::vector<float> WeightValues(int i) {
  std::vector<float> values(static_cast<size_t>(kRows * kWeights[i].columns));
  for (size_t k = 0; k < values.size(); ++k) {
    const uint32_t mixed = static_cast<uint32_t>(k + 7919 * i) * 2654435761u;
    values[k] = static_cast<float>(mixed >> 16) / 8192.0f - 4.0f;
  }
  return values;
}

// The core's bake of weight i's values, as bytes.
std::string CoreBaked(int i, std::vector<float> values) {
  TensorQuantConfig config;
  config.scale = {kWeights[i].scale};
  config.offset = {0};
  ThreadPool pool(1);
  const std::vector<int64_t> dims = {kRows, kWeights[i].columns};
  BakeTensor(config, dims, absl::MakeSpan(values), {}, &pool);
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

// Every weight ACTIVATED, per tensor, int8, in weight order.
std::string ConfigDocument() {
  std::string configs, dispatchings, values;
  for (int i = 0; i < kWeightCount; ++i) {
    const char* separator = i == 0 ? "" : ", ";
    absl::StrAppend(&configs, separator, "\"", NodeName(i), "\": {\"", WeightName(i),
                    R"(": {"bit_width": 8, "policy": ["PER_TENSOR", "LINEAR", "SYMMETRICAL"],
                    "state": "ACTIVATED", "quant_min": -128, "quant_max": 127, "hash": )",
                    i + 1, ", \"dominator\": ", i + 1, "}}");
    absl::StrAppend(&dispatchings, separator, "\"", NodeName(i), "\": \"TRT_INT8\"");
    absl::StrAppend(&values, separator, "\"", i + 1, "\": {\"scale\": ", kWeights[i].scale,
                    ", \"zero_point\": 0}");
  }
  return absl::StrCat("{\"configs\": {", configs, "}, \"dispatchings\": {", dispatchings,
                      "}, \"values\": {", values, "}}");
}

enum class Where { kExternal, kInline };

class ParameterOverlapTest : public ::testing::TestWithParam<Where> {
 protected:
  // Writes the chain of MatMuls, `values` its weights' values, in input_, each weight
  // at a 64-byte-aligned offset of weights.bin or inline.
  void WriteModel(const std::vector<std::vector<float>>& values) {
    ModelBuilder builder;
    std::string data;
    for (int i = 0; i < kWeightCount; ++i) {
      onnx::TensorProto weight = MakeTensor(WeightName(i), {kRows, kWeights[i].columns}, values[i]);
      if (GetParam() == Where::kExternal) {
        data.resize((data.size() + 63) / 64 * 64);
        offsets_.push_back(static_cast<int64_t>(data.size()));
        const std::string length = std::to_string(weight.raw_data().size());
        data += MakeExternal(&weight, {{"location", "weights.bin"},
                                       {"offset", std::to_string(offsets_.back())},
                                       {"length", length}});
      }
      const std::string input = i == 0 ? "x" : absl::StrCat("y", i - 1);
      builder.Node("MatMul", NodeName(i), {input, WeightName(i)}, {absl::StrCat("y", i)})
          .Initializer(weight);
    }
    onnx::ModelProto model = builder.model();
    model.set_ir_version(8);
    model.add_opset_import()->set_version(13);
    WriteFileOrDie(input_.path() / "model.onnx", model.SerializeAsString());
    if (GetParam() == Where::kExternal) WriteFileOrDie(input_.path() / "weights.bin", data);
    WriteFileOrDie(input_.path() / "config.json", ConfigDocument());
  }

  ProcessResult Bake(SubprocessOptions options = {}) {
    return RunQbake({"bake", input_ / "model.onnx", "--config", input_ / "config.json", "--output",
                     output_ / "model.onnx"},
                    std::chrono::seconds(120), std::move(options));
  }

  // Weight i's bytes in the output.
  std::string BakedBytes(int i) {
    if (GetParam() == Where::kExternal) {
      return ReadFileOrDie(output_ / "weights.bin")
          .substr(static_cast<size_t>(offsets_[i]),
                  static_cast<size_t>(kRows * kWeights[i].columns * 4));
    }
    onnx::ModelProto baked = ParseModelOrDie(output_ / "model.onnx");
    for (const auto& [name, tensor] : Parameters(&baked)) {
      if (name == WeightName(i)) return tensor->raw_data();
    }
    ADD_FAILURE() << WeightName(i) << " is not in the output";
    return "";
  }

  ScratchFolder input_;
  ScratchFolder output_;
  std::vector<int64_t> offsets_;  // of each weight in weights.bin
};

std::vector<std::vector<float>> AllWeightValues() {
  std::vector<std::vector<float>> values;
  for (int i = 0; i < kWeightCount; ++i) values.push_back(WeightValues(i));
  return values;
}

TEST_P(ParameterOverlapTest, EachWeightIsBakedAsTheCoreBakesIt) {
  const std::vector<std::vector<float>> values = AllWeightValues();
  WriteModel(values);
  const ProcessResult result = Bake();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (int i = 0; i < kWeightCount; ++i) {
    SCOPED_TRACE(WeightName(i));
    const std::string baked = BakedBytes(i);
    EXPECT_TRUE(baked == CoreBaked(i, values[i]));
    EXPECT_NE(baked.substr(0, 4), std::string(reinterpret_cast<const char*>(values[i].data()), 4));
  }
}

TEST_P(ParameterOverlapTest, TheFirstBadWeightInConfigOrderIsTheError) {
  std::vector<std::vector<float>> values = AllWeightValues();
  values[1][5] = std::numeric_limits<float>::quiet_NaN();  // bakes while W0 is written
  values[3][7] = std::numeric_limits<float>::infinity();   // read ahead while W2 bakes
  values[4][0] = -std::numeric_limits<float>::infinity();
  WriteModel(values);
  const ProcessResult result = Bake();
  EXPECT_EQ(result.exit_code, 1);
  ASSERT_EQ(result.ErrLines().size(), 1u) << result.err;
  EXPECT_THAT(result.err, HasSubstr("operation 'mm1', variable 'W1'"));
  EXPECT_THAT(result.err, HasSubstr("flat index 5"));
  EXPECT_THAT(FolderNames(output_.path()), IsEmpty());
}

TEST_P(ParameterOverlapTest, AWriteThatFailsIsTheErrorAndNothingIsWritten) {
  WriteModel(AllWeightValues());
  // Files may not grow past 5 MiB. External: W3's range of weights.bin ends past it,
  // and its write, behind W4's bake, fails. Inline: the copy of the model's bytes
  // around the weights, before any bake, fails.
  SubprocessOptions options;
  options.file_size_limit = rlim_t{5} << 20;
  const ProcessResult result = Bake(options);
  EXPECT_EQ(result.exit_code, 1) << "signal " << result.signal;
  ASSERT_EQ(result.ErrLines().size(), 1u) << result.err;
  EXPECT_THAT(result.err,
              HasSubstr(GetParam() == Where::kExternal ? "weights.bin'" : "model.onnx'"));
  EXPECT_THAT(result.err, HasSubstr(std::strerror(EFBIG)));
  EXPECT_THAT(FolderNames(output_.path()), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Weights, ParameterOverlapTest,
                         ::testing::Values(Where::kExternal, Where::kInline),
                         [](const ::testing::TestParamInfo<Where>& info) {
                           return info.param == Where::kExternal ? "External" : "Inline";
                         });

}  // namespace
}  // namespace qbake::testing
