// A model whose external data totals more than 2 GiB (9 weights of 256 MiB, so no
// single ModelProto could hold them inline) bakes with `qbake bake` locally and on
// a qbake-server (BakeStream), and both write the same weights file, byte for byte,
// whose values equal the core's bake. ctest runs it under the label "large".
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tensor_baker.h"
#include "core/thread_pool.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/remote_test_support.h"
#include "tests/support/model_builder.h"
#include "tests/support/model_parameters.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

constexpr int kWeights = 9;
constexpr int64_t kWeightElements = int64_t{64} << 20;  // 256 MiB of float32
constexpr int64_t kWeightBytes = kWeightElements * 4;
constexpr int64_t kTotalBytes = kWeightBytes * kWeights;  // 2.25 GiB
constexpr int64_t kBlockBytes = int64_t{16} << 20;
constexpr float kScale = 0.0317f;

// The value at flat index `index` of the weights file: spread over [-4, 4).
float ValueAt(int64_t index) {
  const uint32_t mixed = static_cast<uint32_t>(index) * 2654435761u;
  return static_cast<float>(mixed >> 16) / 8192.0f - 4.0f;
}

// Elements [begin, begin + count) of the weights file.
std::vector<float> Values(int64_t begin, int64_t count) {
  std::vector<float> values(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) values[i] = ValueAt(begin + i);
  return values;
}

// A MatMul chain over weights w0..w8 stored back to back in weights.bin, each
// ACTIVATED per tensor int8 with scale kScale.
void WriteModel(const ScratchFolder& folder) {
  ModelBuilder builder;
  std::string configs, values;
  std::string input = "x";
  for (int i = 0; i < kWeights; ++i) {
    const std::string name = absl::StrCat("w", i), node = absl::StrCat("matmul", i);
    onnx::TensorProto weight = MakeTensor(name, {8192, 8192}, {});
    MakeExternal(&weight, {{"location", "weights.bin"},
                           {"offset", absl::StrCat(i * kWeightBytes)},
                           {"length", absl::StrCat(kWeightBytes)}});
    builder.Node("MatMul", node, {input, name}, {absl::StrCat("y", i)}).Initializer(weight);
    input = absl::StrCat("y", i);
    absl::StrAppend(&configs, i ? ", " : "", "\"", node, "\": {\"", name,
                    R"(": {"bit_width": 8, "policy": ["PER_TENSOR", "LINEAR", "SYMMETRICAL"],
        "state": "ACTIVATED", "quant_min": -128, "quant_max": 127, "hash": )",
                    i, R"(, "dominator": )", i, "}}");
    absl::StrAppend(&values, i ? ", " : "", "\"", i, "\": {\"scale\": ", kScale,
                    ", \"zero_point\": 0}");
  }
  onnx::ModelProto model = builder.model();
  model.set_ir_version(8);
  model.add_opset_import()->set_version(13);
  WriteFileOrDie(folder.path() / "model.onnx", model.SerializeAsString());
  WriteFileOrDie(folder.path() / "config.json",
                 absl::StrCat("{\"configs\": {", configs, "}, \"values\": {", values, "}}"));
  std::ofstream out(folder.path() / "weights.bin", std::ios::binary);
  for (int64_t begin = 0; begin < kTotalBytes / 4; begin += kBlockBytes / 4) {
    const std::vector<float> block = Values(begin, kBlockBytes / 4);
    out.write(reinterpret_cast<const char*>(block.data()), kBlockBytes);
  }
  out.close();
  ASSERT_TRUE(out.good());
}

// Blocks of the two files that differ, and blocks of `local` that differ from the
// core's bake of the same values.
struct Differences {
  int64_t between = 0;
  int64_t from_core = 0;
};

Differences Compare(const std::filesystem::path& local, const std::filesystem::path& remote) {
  std::ifstream a(local, std::ios::binary), b(remote, std::ios::binary);
  std::string block_a(kBlockBytes, '\0'), block_b(kBlockBytes, '\0');
  ThreadPool pool(2);
  TensorQuantConfig config;
  config.scale = {kScale};
  config.offset = {0};
  Differences differences;
  for (int64_t begin = 0; begin < kTotalBytes / 4; begin += kBlockBytes / 4) {
    a.read(block_a.data(), kBlockBytes);
    b.read(block_b.data(), kBlockBytes);
    differences.between += block_a != block_b;
    std::vector<float> expected = Values(begin, kBlockBytes / 4);
    BakeTensor(config, {kBlockBytes / 4}, absl::MakeSpan(expected), {}, &pool);
    differences.from_core += block_a != FloatBytes(expected);
  }
  EXPECT_TRUE(a.good() && b.good());
  return differences;
}

TEST(TwoGibExternalDataTest, BakesLocallyAndRemotelyToTheSameBytes) {
  ScratchFolder input;
  WriteModel(input);
  const std::unique_ptr<ServerProcess> server = StartServer();
  ScratchFolder local, remote;
  const std::vector<std::string> common = {"bake", input / "model.onnx", "--config",
                                           input / "config.json", "--output"};
  std::vector<std::string> local_args = common, remote_args = common;
  local_args.push_back(local / "model.onnx");
  remote_args.insert(remote_args.end(),
                     {remote / "model.onnx", "--server", absl::StrCat("127.0.0.1:", server->port()),
                      "--deadline", "500"});
  const ProcessResult local_run = RunQbake(local_args, std::chrono::seconds(500));
  ASSERT_EQ(local_run.exit_code, 0) << local_run.err;
  const ProcessResult remote_run = RunQbake(remote_args, std::chrono::seconds(500));
  ASSERT_EQ(remote_run.exit_code, 0) << remote_run.err << server->Stderr();

  const auto total = static_cast<uintmax_t>(kTotalBytes);
  ASSERT_EQ(std::filesystem::file_size(local / "weights.bin"), total);
  ASSERT_EQ(std::filesystem::file_size(remote / "weights.bin"), total);
  const Differences differences = Compare(local / "weights.bin", remote / "weights.bin");
  EXPECT_EQ(differences.between, 0);
  EXPECT_EQ(differences.from_core, 0);
  EXPECT_EQ(ReadFileOrDie(local / "model.onnx"), ReadFileOrDie(remote / "model.onnx"));
  EXPECT_EQ(ReadFileOrDie(local / "model.json"), ReadFileOrDie(remote / "model.json"));
}

}  // namespace
}  // namespace qbake::testing
