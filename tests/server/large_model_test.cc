// A model above 1 GiB bakes through BakeStream with gRPC's default 4 MiB message
// limits on both sides: its weight travels as external data in 1 MiB pieces and
// comes back in 1 MiB chunks. Data is made and checked piece by piece, never held
// whole on the client.
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/tensor_baker.h"
#include "gtest/gtest.h"
#include "tests/server/server_test_support.h"
#include "tests/server/stream_requests.h"
#include "tests/server/synthetic_models.h"

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
  uint64_t sent = 0;
  bool header_sent = false, model_sent = false;
  auto next = [&](v1::BakeStreamRequest* request) {
    if (!header_sent) {
      *request = HeaderRequest({WeightSpec()}, {}, model.size());
      return header_sent = true;
    }
    if (!model_sent) {
      request->set_model_data(model);
      return model_sent = true;
    }
    if (sent == kBytes) return false;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kPiece, kBytes - sent));
    const std::vector<float> values = Values(sent, n);
    *request = ExternalRequest(kBlobLocation, sent,
                               std::string(reinterpret_cast<const char*>(values.data()), n));
    sent += n;
    return true;
  };
  uint64_t received = 0;
  int mismatched_chunks = 0;
  v1::BakeEvent last;
  auto on_event = [&](const v1::BakeEvent& event) {
    last = event;
    if (!event.has_tensor()) return;
    const v1::TensorChunk& chunk = event.tensor();
    EXPECT_EQ(chunk.offset(), received);
    EXPECT_LE(chunk.data().size(), kPiece);
    if (chunk.data() != Baked(chunk.offset(), chunk.data().size(), &pool)) ++mismatched_chunks;
    received += chunk.data().size();
  };
  grpc::ClientContext context;
  SetTimeout(&context, absl::Minutes(10));
  const grpc::Status status = StreamBake(server.stub(), &context, next, on_event);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(kBytes, uint64_t{1} << 30);
  EXPECT_EQ(received, kBytes);
  EXPECT_EQ(mismatched_chunks, 0);
  ASSERT_TRUE(last.has_summary());
  EXPECT_EQ(last.summary().baked(), 1);
  EXPECT_EQ(static_cast<uint64_t>(last.summary().bytes()), kBytes);
}

}  // namespace
}  // namespace qbake::testing
