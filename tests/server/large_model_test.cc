// A model above 1 GiB bakes through BakeStream with gRPC's default 4 MiB message
// limits on both sides: its weight travels as external data in 1 MiB pieces and
// comes back in 1 MiB chunks. Data is made and checked piece by piece, never held
// whole on the client.
#include <cstring>
#include <functional>

#include "absl/strings/str_cat.h"
#include "core/tensor_baker.h"
#include "gtest/gtest.h"
#include "tests/server/bake_results.h"
#include "tests/server/server_test_support.h"
#include "tests/server/synthetic_models.h"
#include "tests/support/stream_requests.h"

namespace qbake::testing {
namespace {

constexpr uint64_t kElements = (uint64_t{1} << 28) + (uint64_t{1} << 24);  // 1.0625 GiB of float32
constexpr uint64_t kBytes = kElements * sizeof(float);
constexpr size_t kPiece = size_t{1} << 20;

// The weight's value at flat index `i`.
float ValueAt(uint64_t i) {
  return static_cast<float>(static_cast<int64_t>((i * 7919) % 4001) - 2000) / 2000.0f;
}

// Bytes [offset, offset + n) of the weight, as float32 values.
std::vector<float> Values(uint64_t offset, size_t n) {
  std::vector<float> values(n / sizeof(float));
  for (size_t k = 0; k < values.size(); ++k) values[k] = ValueAt(offset / sizeof(float) + k);
  return values;
}

// The weight's bytes [offset, offset + n) as WeightSpec() bakes them: per tensor,
// each value on its own, so any slice bakes alone.
std::string Baked(uint64_t offset, size_t n, ThreadPool* pool) {
  std::vector<float> values = Values(offset, n);
  TensorQuantConfig config;  // PER_TENSOR LINEAR SYMMETRICAL, 8 bits, half even
  config.scale = {1.0f / 64};
  config.offset = {0.0f};
  BakeTensor(config, {static_cast<int64_t>(values.size())}, absl::MakeSpan(values), {}, pool);
  return std::string(reinterpret_cast<const char*>(values.data()), n);
}

// The model with its weight declared as external data of kBytes.
std::string ModelBytes() {
  onnx::ModelProto model = WeightModel({4}, Ramp(4));
  onnx::TensorProto* w = model.mutable_graph()->mutable_initializer(0);
  MoveToExternalData(&model, 0);
  w->set_dims(0, static_cast<int64_t>(kElements));
  w->mutable_external_data(2)->set_value(absl::StrCat(kBytes));  // "length"
  return model.SerializeAsString();
}

TEST(LargeModelTest, BakesAModelAboveOneGibibyteWithDefaultMessageLimits) {
  TestServer server;
  ThreadPool pool(1);
  const std::string model = ModelBytes();
  const auto next =
      BlobStream({WeightSpec()}, model, kBytes, kPiece, [](uint64_t offset, size_t n) {
        const std::vector<float> values = Values(offset, n);
        return std::string(reinterpret_cast<const char*>(values.data()), n);
      });
  uint64_t next_offset = 0;  // where the next chunk must start
  ChunkTally tally([&](const v1::TensorChunk& chunk) {
    EXPECT_EQ(chunk.offset(), next_offset);
    EXPECT_LE(chunk.data().size(), kPiece);
    next_offset = chunk.offset() + chunk.data().size();
    return Baked(chunk.offset(), chunk.data().size(), &pool);
  });
  grpc::ClientContext context;
  SetTimeout(&context, absl::Minutes(10));
  const grpc::Status status = StreamBake(server.stub(), &context, next, std::ref(tally));

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(kBytes, uint64_t{1} << 30);
  EXPECT_EQ(tally.received(), kBytes);
  EXPECT_EQ(tally.mismatched(), 0);
  ASSERT_TRUE(tally.last().has_summary());
  EXPECT_EQ(tally.last().summary().baked(), 1);
  EXPECT_EQ(static_cast<uint64_t>(tally.last().summary().bytes()), kBytes);
}

}  // namespace
}  // namespace qbake::testing
