// TensorChunks carry at most options.chunk_bytes (1 MiB by default, 4 MiB at most)
// and follow one another through each tensor.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/bake_settings.h"
#include "tests/server/bake_results.h"
#include "tests/server/e2e_cases.h"
#include "tests/server/server_test_support.h"
#include "tests/server/synthetic_models.h"
#include "tests/support/stream_requests.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;

// The data sizes of the TensorChunks of `name`, in order.
std::vector<size_t> ChunkSizes(const std::vector<v1::BakeEvent>& events, const std::string& name) {
  std::vector<size_t> sizes;
  for (const v1::BakeEvent& event : events) {
    if (event.has_tensor() && event.tensor().name() == name) {
      sizes.push_back(event.tensor().data().size());
    }
  }
  return sizes;
}

TEST(ChunkingTest, HonoursTheRequestedChunkSize) {
  TestServer server;
  const E2eCase e2e = LoadE2eCase("synth_trt_int8");
  v1::BakeOptions options;
  options.set_chunk_bytes(1000);
  const CallResult result =
      CallBake(server.stub(), BakeRequestFor(e2e.model_bytes, e2e.specs, options));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ExpectMatchesPpq(e2e, result.events);
  for (const auto& [name, tensor] : RebuiltTensors(result.events)) {
    const std::vector<size_t> sizes = ChunkSizes(result.events, name);
    EXPECT_EQ(sizes.size(), (tensor.data.size() + 999) / 1000) << name;
    for (size_t i = 0; i + 1 < sizes.size(); ++i) EXPECT_EQ(sizes[i], 1000u) << name;
  }
}

TEST(ChunkingTest, SendsOneMebibyteChunksByDefault) {
  TestServer server;
  const size_t elements = (size_t{3} << 18) + 25;  // 3 MiB + 100 bytes of float32
  const onnx::ModelProto model = WeightModel({static_cast<int64_t>(elements)}, Ramp(elements));
  const CallResult result = CallBakeStream(server.stub(), StreamRequests(model, {WeightSpec()}));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(ChunkSizes(result.events, "w"), (std::vector<size_t>{1 << 20, 1 << 20, 1 << 20, 100}));
}

TEST(ChunkingTest, RefusesChunksAboveFourMebibytes) {
  TestServer server;
  v1::BakeOptions options;
  options.set_chunk_bytes(kMaxChunkBytes + 1);
  const CallResult result = CallBake(
      server.stub(),
      BakeRequestFor(WeightModel({4}, Ramp(4)).SerializeAsString(), {WeightSpec()}, options));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(result.status.error_message(),
              HasSubstr(absl::StrCat("field 'chunk_bytes': ", kMaxChunkBytes + 1)));
  EXPECT_TRUE(result.events.empty());
}

}  // namespace
}  // namespace qbake::testing
