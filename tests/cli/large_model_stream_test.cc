// A model above 1 GiB baked through a qbake-server with gRPC's default message
// limits: `qbake bake --server` streams it by BakeStream, its one weight held as ONNX
// external data, and the baked values equal the core's BakeTensor on the same
// values, bit for bit. ctest runs it under the label "large" (it moves 2 GiB over
// loopback and writes 2 GiB to disk; about half a minute on 2 cores).
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tensor_baker.h"
#include "core/thread_pool.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/remote_test_support.h"
#include "tests/support/model_builder.h"
#include "tests/support/model_parameters.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

constexpr int64_t kRows = 16384;
constexpr int64_t kColumns = 16400;
constexpr int64_t kElements = kRows * kColumns;
constexpr int64_t kBytes = kElements * 4;  // 1,074,790,400: above 1 GiB
constexpr float kScale = 0.0317f;
constexpr int kSamples = 4096;

// The weight's value at `index`: spread over [-4, 4), cheap to recompute.
float ValueAt(int64_t index) {
  const uint32_t mixed = static_cast<uint32_t>(index) * 2654435761u;
  return static_cast<float>(mixed >> 16) / 8192.0f - 4.0f;
}

// Writes the weight's kBytes to `path` a few MiB at a time.
void WriteWeights(const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::vector<float> block(int64_t{1} << 20);
  for (int64_t begin = 0; begin < kElements; begin += static_cast<int64_t>(block.size())) {
    const int64_t count = std::min<int64_t>(static_cast<int64_t>(block.size()), kElements - begin);
    for (int64_t i = 0; i < count; ++i) block[i] = ValueAt(begin + i);
    out.write(reinterpret_cast<const char*>(block.data()), count * 4);
  }
  out.close();
  ASSERT_TRUE(out.good()) << path;
}

// y = Gemm(x, W) with W [kRows, kColumns] in folder/weights.bin, and its config:
// W ACTIVATED, per tensor, int8, scale kScale.
void WriteLargeModel(const ScratchFolder& folder) {
  onnx::TensorProto weight = MakeTensor("W", {kRows, kColumns}, {});
  MakeExternal(&weight,
               {{"location", "weights.bin"}, {"offset", "0"}, {"length", std::to_string(kBytes)}});
  onnx::ModelProto model =
      ModelBuilder().Node("Gemm", "gemm", {"x", "W"}, {"y"}).Initializer(weight).model();
  model.set_ir_version(8);
  model.add_opset_import()->set_version(13);
  WriteFileOrDie(folder.path() / "model.onnx", model.SerializeAsString());
  WriteWeights(folder.path() / "weights.bin");
  WriteFileOrDie(folder.path() / "config.json", absl::StrCat(R"({"configs": {"gemm": {"W": {
      "bit_width": 8, "policy": ["PER_TENSOR", "LINEAR", "SYMMETRICAL"], "state": "ACTIVATED",
      "quant_min": -128, "quant_max": 127, "hash": 1, "dominator": 1}}},
  "dispatchings": {"gemm": "TRT_INT8"},
  "values": {"1": {"scale": )",
                                                             kScale, R"(, "zero_point": 0}}})"));
}

// Sampled element indices: both ends, around every 1 MiB chunk boundary of the
// first few, and evenly spread.
std::vector<int64_t> SampleIndices() {
  std::vector<int64_t> indices = {0, 1, kElements - 2, kElements - 1};
  for (int64_t chunk = 1; chunk <= 8; ++chunk) {
    indices.push_back(chunk * (int64_t{1} << 18) - 1);
    indices.push_back(chunk * (int64_t{1} << 18));
  }
  for (int i = 0; i < kSamples; ++i) indices.push_back(kElements / kSamples * i + i % 97);
  return indices;
}

std::vector<float> ReadSamples(const std::string& path, const std::vector<int64_t>& indices) {
  std::ifstream in(path, std::ios::binary);
  std::vector<float> values(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    in.seekg(indices[i] * 4);
    in.read(reinterpret_cast<char*>(&values[i]), 4);
  }
  EXPECT_TRUE(in.good()) << path;
  return values;
}

// The core's bake of the sampled values: per tensor, so each value bakes alone.
std::vector<float> CoreBaked(const std::vector<int64_t>& indices) {
  std::vector<float> values;
  for (int64_t index : indices) values.push_back(ValueAt(index));
  TensorQuantConfig config;
  config.scale = {kScale};
  config.offset = {0};
  ThreadPool pool(1);
  const std::vector<int64_t> dims = {static_cast<int64_t>(values.size())};
  BakeTensor(config, dims, absl::MakeSpan(values), {}, &pool);
  return values;
}

TEST(LargeModelStreamTest, BakesAModelAboveOneGibThroughBakeStream) {
  ScratchFolder input;
  WriteLargeModel(input);
  const std::unique_ptr<ServerProcess> server = StartServer();
  ScratchFolder output;
  std::vector<std::string> args = {"bake",       input / "model.onnx",
                                   "--config",   input / "config.json",
                                   "--output",   output / "model.onnx",
                                   "--server",   absl::StrCat("127.0.0.1:", server->port()),
                                   "--deadline", "300"};
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult result = RunQbake(args, std::chrono::seconds(300));
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  std::cout << "1 GiB bake through BakeStream: " << elapsed.count() << " s\n" << result.out;
  RecordProperty("stream_bake_seconds", std::to_string(elapsed.count()));
  ASSERT_EQ(result.exit_code, 0) << result.err << server->Stderr();
  ASSERT_EQ(std::filesystem::file_size(output.path() / "weights.bin"),
            static_cast<uintmax_t>(kBytes));
  const std::vector<int64_t> indices = SampleIndices();
  const std::vector<float> baked = ReadSamples(output / "weights.bin", indices);
  const std::vector<float> expected = CoreBaked(indices);
  int64_t differing = 0;
  for (size_t i = 0; i < indices.size(); ++i) {
    differing += FloatBits(baked[i]) != FloatBits(expected[i]);
  }
  EXPECT_EQ(differing, 0);
  EXPECT_NE(FloatBits(baked[0]), FloatBits(ValueAt(indices[0])));
  const nlohmann::json config = nlohmann::json::parse(ReadFileOrDie(output / "model.json"));
  EXPECT_EQ(config["configs"]["gemm"]["W"]["state"], "BAKED");
}

}  // namespace
}  // namespace qbake::testing
