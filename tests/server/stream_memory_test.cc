// BakeStream runs in bounded memory: a model with 1.5 GiB of external data (24
// weights of 64 MiB) bakes through the real qbake-server process while the server's
// peak resident memory (VmHWM) stays at most 512 MiB, three times less than the
// model. Every baked chunk equals the core's bake of the same values, bit for bit.
// ctest runs it under the label "large".
#include <atomic>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tensor_baker.h"
#include "gtest/gtest.h"
#include "tests/server/bake_results.h"
#include "tests/server/server_test_support.h"
#include "tests/support/model_builder.h"
#include "tests/support/server_process.h"
#include "tests/support/stream_requests.h"

namespace qbake::testing {
namespace {

constexpr int kWeights = 24;
constexpr uint64_t kWeightElements = uint64_t{16} << 20;  // 64 MiB of float32
constexpr uint64_t kWeightBytes = kWeightElements * sizeof(float);
constexpr uint64_t kTotalBytes = kWeightBytes * kWeights;  // 1.5 GiB
constexpr uint64_t kMemoryBound = uint64_t{512} << 20;
constexpr size_t kPiece = size_t{1} << 20;
constexpr float kScale = 1.0f / 64;

// The value at flat byte offset `byte` / 4 of the external data: over [-2, 2).
float ValueAt(uint64_t index) {
  const uint32_t mixed = static_cast<uint32_t>(index) * 2654435761u;
  return static_cast<float>(mixed >> 16) / 16384.0f - 2.0f;
}

// Bytes [offset, offset + n) of the external data, as float32 values.
std::vector<float> Values(uint64_t offset, size_t n) {
  std::vector<float> values(n / sizeof(float));
  for (size_t k = 0; k < values.size(); ++k) values[k] = ValueAt(offset / sizeof(float) + k);
  return values;
}

// The same bytes, as sent.
std::string Piece(uint64_t offset, size_t n) {
  const std::vector<float> values = Values(offset, n);
  return std::string(reinterpret_cast<const char*>(values.data()), n);
}

std::string WeightName(int i) { return absl::StrCat("w", i); }

// A chain of MatMuls, each weight external in the blob at i * kWeightBytes.
std::string ModelBytes() {
  ModelBuilder builder;
  std::string input = "x";
  for (int i = 0; i < kWeights; ++i) {
    onnx::TensorProto weight = MakeTensor(WeightName(i), {4096, 4096}, {});
    weight.set_data_location(onnx::TensorProto::EXTERNAL);
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"location", kBlobLocation},
                                     {"offset", absl::StrCat(i * kWeightBytes)},
                                     {"length", absl::StrCat(kWeightBytes)}}) {
      onnx::StringStringEntryProto* entry = weight.add_external_data();
      entry->set_key(key);
      entry->set_value(value);
    }
    const std::string output = absl::StrCat("y", i);
    builder.Node("MatMul", absl::StrCat("matmul", i), {input, WeightName(i)}, {output});
    builder.Initializer(weight);
    input = output;
  }
  return builder.model().SerializeAsString();
}

std::vector<TensorConfigSpec> Specs() {
  std::vector<TensorConfigSpec> specs;
  for (int i = 0; i < kWeights; ++i) {
    TensorConfigSpec spec;
    spec.operation = absl::StrCat("matmul", i);
    spec.variable = WeightName(i);
    spec.policy = kPerTensor | kLinear | kSymmetrical;
    spec.num_of_bits = 8;
    spec.quant_min = -128;
    spec.quant_max = 127;
    spec.state = QuantState::kActivated;
    spec.scale = {kScale};
    spec.offset = {0};
    specs.push_back(spec);
  }
  return specs;
}

// The core's bake of external bytes [offset, offset + n): per tensor, so any
// slice bakes alone.
std::string Baked(uint64_t offset, size_t n, ThreadPool* pool) {
  std::vector<float> values = Values(offset, n);
  TensorQuantConfig config;
  config.scale = {kScale};
  config.offset = {0};
  BakeTensor(config, {static_cast<int64_t>(values.size())}, absl::MakeSpan(values), {}, pool);
  return std::string(reinterpret_cast<const char*>(values.data()), n);
}

// VmHWM of process `pid`, in bytes; 0 when it cannot be read.
uint64_t PeakResidentBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // kB
  }
  return 0;
}

TEST(StreamMemoryTest, LargeBakeStreamStaysUnderTheServersMemoryBound) {
  ServerProcess server({"--listen", "127.0.0.1:0", "--threads", "2"});
  ASSERT_GT(server.port(), 0) << server.first_line();
  auto stub = v1::Baker::NewStub(LoopbackChannel(server.port()));
  const std::string model = ModelBytes();
  ThreadPool pool(1);
  const auto next = BlobStream(Specs(), model, kTotalBytes, kPiece, Piece);
  ChunkTally tally([&](const v1::TensorChunk& chunk) {
    const uint64_t index = std::stoull(chunk.name().substr(1));
    return Baked(index * kWeightBytes + chunk.offset(), chunk.data().size(), &pool);
  });
  grpc::ClientContext context;
  SetTimeout(&context, absl::Minutes(5));
  const grpc::Status status = StreamBake(stub.get(), &context, next, std::ref(tally));
  const uint64_t peak = PeakResidentBytes(server.pid());
  std::cout << "qbake-server VmHWM after 1.5 GiB BakeStream: " << (peak >> 20) << " MiB\n";

  ASSERT_TRUE(status.ok()) << status.error_message() << server.Stderr();
  EXPECT_EQ(tally.received(), kTotalBytes);
  EXPECT_EQ(tally.mismatched(), 0);
  ASSERT_TRUE(tally.last().has_summary());
  EXPECT_EQ(tally.last().summary().baked(), kWeights);
  EXPECT_GT(kTotalBytes, 2 * kMemoryBound);
  EXPECT_GT(peak, uint64_t{0});
  EXPECT_LE(peak, kMemoryBound) << "server VmHWM " << (peak >> 20) << " MiB";
  RecordProperty("server_vmhwm_mib", std::to_string(peak >> 20));
}

}  // namespace
}  // namespace qbake::testing
