// EstimateParseCost against what parsing really takes (SpaceUsedLong), and the
// server's refusal of models that would amplify.
#include "server/parse_cost.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onnx/onnx_pb.h"
#include "server/request_model.h"
#include "tests/server/synthetic_models.h"
#include "tests/support/empty_initializers.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;

// The estimate is within a factor of two of the parsed model's own accounting.
void ExpectCloseToParsed(const std::string& bytes) {
  onnx::ModelProto parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  const auto used = static_cast<double>(parsed.SpaceUsedLong());
  const ParseCost cost = EstimateParseCost(*onnx::ModelProto::descriptor(), bytes);
  EXPECT_GE(static_cast<double>(cost.memory_bytes), used * 0.5);
  EXPECT_LE(static_cast<double>(cost.memory_bytes), used * 2);
}

TEST(ParseCostTest, CountsEveryMessageAndNamesTheBusiestField) {
  const std::string bytes = EmptyInitializers(100000);
  const ParseCost cost = EstimateParseCost(*onnx::ModelProto::descriptor(), bytes);
  EXPECT_EQ(cost.messages, 100002u);  // the model, its graph, the initializers
  EXPECT_EQ(cost.busiest_field, "onnx.GraphProto.initializer");
  EXPECT_EQ(cost.busiest_entries, 100000u);
  EXPECT_GT(cost.memory_bytes, 50 * bytes.size());
  ExpectCloseToParsed(bytes);
}

TEST(ParseCostTest, FindsTheBusiestFieldAtAnyDepth) {
  onnx::ModelProto model;
  onnx::NodeProto* node = model.mutable_graph()->add_node();
  for (int i = 0; i < 50000; ++i) node->add_attribute();
  for (int i = 0; i < 20000; ++i) model.mutable_graph()->add_initializer();
  const std::string bytes = model.SerializeAsString();
  const ParseCost cost = EstimateParseCost(*onnx::ModelProto::descriptor(), bytes);
  EXPECT_EQ(cost.busiest_field, "onnx.NodeProto.attribute");
  EXPECT_EQ(cost.busiest_entries, 50000u);
  ExpectCloseToParsed(bytes);
}

TEST(ParseCostTest, ATensorsDataCostsItsBytes) {
  const std::string bytes = WeightModel({1 << 16}, Ramp(1 << 16)).SerializeAsString();
  const ParseCost cost = EstimateParseCost(*onnx::ModelProto::descriptor(), bytes);
  EXPECT_LT(cost.memory_bytes, 2 * bytes.size());
  ExpectCloseToParsed(bytes);
}

TEST(ParseCostTest, MalformedBytesEndTheWalk) {
  std::string bytes = EmptyInitializers(10);
  bytes.back() = '\x80';  // an unfinished varint
  const ParseCost truncated =
      EstimateParseCost(*onnx::ModelProto::descriptor(), bytes + "\xff\xff\xff\xff\xff\xff");
  EXPECT_LE(truncated.messages, 12u);
  const std::string nested(300, '\x3a');  // field 7 (graph), lengths never closed
  EXPECT_LE(EstimateParseCost(*onnx::ModelProto::descriptor(), nested).messages, 2u);
}

TEST(ParseCostTest, TheServerRefusesAModelThatWouldAmplify) {
  const std::string bytes = EmptyInitializers(2000000);
  const absl::StatusOr<std::unique_ptr<onnx::ModelProto>> parsed = ParseModel(bytes);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(parsed.status().message(),
              HasSubstr("2000000 of them in onnx.GraphProto.initializer"));
  EXPECT_THAT(parsed.status().message(), HasSubstr("at most 16 times its size plus 64 MiB"));
}

}  // namespace
}  // namespace qbake::testing
