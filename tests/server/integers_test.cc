// With want_integers, each LINEAR bake's integers stream as IntegerChunks typed as
// BAKING.md 3.1 says: INT8 or UINT8 (one byte each) up to 8 bits, INT32 (four bytes,
// little-endian) above, equal to the core's own integers.
#include <cstring>

#include "core/bake_session.h"
#include "gtest/gtest.h"
#include "tests/server/bake_results.h"
#include "tests/server/e2e_cases.h"
#include "tests/server/server_test_support.h"
#include "tests/server/synthetic_models.h"

namespace qbake::testing {
namespace {

struct IntegerCase {
  PolicyBit symmetry;
  int bits;
  v1::IntegerType type;
  size_t width;
};

class IntegersTest : public ::testing::TestWithParam<IntegerCase> {};

// The core's integers for `spec` on WeightModel's values.
std::vector<int32_t> LocalIntegers(const onnx::ModelProto& original, const TensorConfigSpec& spec) {
  onnx::ModelProto model = original;
  ThreadPool pool(1);
  BakeOptions options;
  options.want_integers = true;
  BakeSession session(&pool, options);
  EXPECT_TRUE(session.Run(&model, {spec}).ok());
  return session.integers().at("w");
}

TEST_P(IntegersTest, StreamsTheCoresIntegersInTheirType) {
  const IntegerCase& c = GetParam();
  const onnx::ModelProto model = WeightModel({3, 50}, Ramp(150));
  const TensorConfigSpec spec = WeightSpec(c.symmetry, c.bits);
  TestServer server;
  v1::BakeOptions options;
  options.set_want_integers(true);
  options.set_chunk_bytes(64);
  const CallResult result =
      CallBake(server.stub(), BakeRequestFor(model.SerializeAsString(), {spec}, options));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();

  const auto integers = RebuiltIntegers(result.events);
  ASSERT_EQ(integers.count("w"), 1u);
  const RebuiltPayload& w = integers.at("w");
  EXPECT_EQ(w.type, c.type);
  EXPECT_EQ(w.dims, (std::vector<int64_t>{3, 50}));
  const std::vector<int32_t> local = LocalIntegers(model, spec);
  ASSERT_EQ(w.data.size(), local.size() * c.width);
  for (size_t i = 0; i < local.size(); ++i) {
    int32_t value = 0;
    std::memcpy(&value, w.data.data() + i * c.width, c.width);
    if (c.type == v1::INT8) value = static_cast<int8_t>(value);
    EXPECT_EQ(value, local[i]) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Types, IntegersTest,
                         ::testing::Values(IntegerCase{kSymmetrical, 8, v1::INT8, 1},
                                           IntegerCase{kAsymmetrical, 8, v1::UINT8, 1},
                                           IntegerCase{kSymmetrical, 16, v1::INT32, 4}),
                         [](const auto& info) { return v1::IntegerType_Name(info.param.type); });

TEST(IntegerChunksTest, AreNotSentUnlessAsked) {
  TestServer server;
  const E2eCase e2e = LoadE2eCase("synth_trt_int8");
  const CallResult result = CallBake(server.stub(), BakeRequestFor(e2e.model_bytes, e2e.specs));
  ASSERT_TRUE(result.status.ok());
  EXPECT_TRUE(RebuiltIntegers(result.events).empty());
  EXPECT_FALSE(RebuiltTensors(result.events).empty());
}

}  // namespace
}  // namespace qbake::testing
