// EstimateParseCost against what parsing really takes (SpaceUsedLong) and against
// what protobuf refuses to parse, and ParseWireMessage's refusals.
#include "server/parse_cost.h"

#include <random>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"
#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.pb.h"
#include "server/request_model.h"
#include "server/wire_message.h"
#include "tests/server/synthetic_models.h"
#include "tests/support/wire_bytes.h"

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

// The flaw EstimateParseCost finds in `bytes` as a `T`, after checking that
// protobuf refuses them too.
template <typename T>
std::string FlawOf(const std::string& bytes) {
  T parsed;
  EXPECT_FALSE(parsed.ParseFromString(bytes)) << "protobuf parses what should be a flaw";
  return EstimateParseCost(*T::descriptor(), bytes).flaw;
}

TEST(ParseCostTest, NamesTheFieldAndOffsetOfALengthPastTheEnd) {
  const std::string bytes = DelimitedField(1, uint64_t{1} << 31, "model");
  EXPECT_EQ(FlawOf<v1::BakeRequest>(bytes),
            "qbake.v1.BakeRequest.model at byte 0 declares 2147483648 bytes where 5 remain");
  const std::string nested = DelimitedField(2, DelimitedField(12, 3, "ab"));
  EXPECT_EQ(FlawOf<v1::BakeRequest>(nested),
            "qbake.v1.TensorQuantConfig.scale at byte 2 declares 3 bytes where 2 remain");
}

TEST(ParseCostTest, NamesGroupsNestedPastTheLimit) {
  std::string groups;
  for (int i = 0; i < 100000; ++i) groups += "\x0b";  // field 1, start group
  EXPECT_EQ(FlawOf<v1::BakeRequest>(groups),
            "field 1 of a group at byte 100: messages and groups nested deeper than 100");
}

TEST(ParseCostTest, NamesMessagesNestedPastTheLimit) {
  // onnx.TypeProto.sequence_type (field 4) holds elem_type (field 1), a TypeProto:
  // two messages a level.
  auto nested = [](int levels) {
    std::string bytes;
    for (int i = 0; i < levels; ++i) bytes = DelimitedField(4, DelimitedField(1, bytes));
    return bytes;
  };
  onnx::TypeProto parsed;
  const std::string deepest = nested(kMaxMessageDepth / 2);
  ASSERT_TRUE(parsed.ParseFromString(deepest));
  EXPECT_EQ(EstimateParseCost(*onnx::TypeProto::descriptor(), deepest).flaw, "");
  EXPECT_THAT(FlawOf<onnx::TypeProto>(nested(kMaxMessageDepth / 2 + 1)),
              HasSubstr(": messages and groups nested deeper than 100"));
}

// Messages and groups count against one budget, in the walk as in protobuf.
TEST(ParseCostTest, NamesGroupsNestedInMessagesPastTheLimit) {
  auto nested = [](int levels, int groups) {
    // Groups of field 15, which TypeProto does not have, in the innermost TypeProto.
    std::string bytes = std::string(groups, '\x7b') + std::string(groups, '\x7c');
    for (int i = 0; i < levels; ++i) bytes = DelimitedField(4, DelimitedField(1, bytes));
    return bytes;
  };
  onnx::TypeProto parsed;
  const std::string within = nested(30, 39);  // 60 messages, 39 groups: 99 levels
  ASSERT_TRUE(parsed.ParseFromString(within));
  EXPECT_EQ(EstimateParseCost(*onnx::TypeProto::descriptor(), within).flaw, "");
  EXPECT_THAT(FlawOf<onnx::TypeProto>(nested(30, 45)),
              HasSubstr(": messages and groups nested deeper than 100"));
}

TEST(ParseCostTest, NamesInvalidUtf8InAProto3String) {
  const std::string config = DelimitedField(1, "conv\xff");  // operation
  EXPECT_EQ(FlawOf<v1::BakeRequest>(DelimitedField(2, config)),
            "qbake.v1.TensorQuantConfig.operation at byte 2: not valid UTF-8");
  // ONNX's strings are proto2: bytes as sent.
  onnx::TensorProto tensor;
  EXPECT_TRUE(tensor.ParseFromString(DelimitedField(8, "w\xff")));
  EXPECT_EQ(EstimateParseCost(*onnx::TensorProto::descriptor(), DelimitedField(8, "w\xff")).flaw,
            "");
}

TEST(ParseCostTest, NamesPackedValuesThatAreCutShort) {
  EXPECT_EQ(FlawOf<v1::BakeRequest>(DelimitedField(2, DelimitedField(12, "abcde"))),
            "qbake.v1.TensorQuantConfig.scale at byte 2: 5 bytes are not a whole number of "
            "4-byte values");
  EXPECT_EQ(FlawOf<onnx::TensorProto>(DelimitedField(1, "\x01\xff")),
            "onnx.TensorProto.dims at byte 0: a packed value is not a valid varint");
}

TEST(ParseCostTest, NamesTagsThatAreNotValid) {
  EXPECT_EQ(FlawOf<v1::BakeRequest>(std::string("\x00", 1)),
            "no valid field tag at byte 0 in qbake.v1.BakeRequest");
  EXPECT_EQ(FlawOf<v1::BakeRequest>("\x1f"),  // field 3, wire type 7
            "qbake.v1.BakeRequest.options at byte 0: wire type 7 is not valid here");
  EXPECT_EQ(FlawOf<v1::BakeRequest>("\x2c"),  // field 5, an end-group tag
            "field 5 of qbake.v1.BakeRequest at byte 0: wire type 4 is not valid here");
  EXPECT_EQ(FlawOf<v1::BakeRequest>("\x18\x80"),  // options as a varint, unfinished
            "qbake.v1.BakeRequest.options at byte 0: its value is not a valid varint");
  // protobuf reads tags and lengths of at most 5 bytes, CodedInputStream up to 10.
  EXPECT_EQ(FlawOf<v1::BakeRequest>(
                std::string("\x98\x80\x80\x80\x80\x00\x01", 7)),  // options, 6-byte tag
            "no valid field tag at byte 0 in qbake.v1.BakeRequest");
  EXPECT_EQ(FlawOf<v1::BakeRequest>(
                std::string("\x0a\x81\x80\x80\x80\x80\x00x", 8)),  // model, 6-byte length
            "qbake.v1.BakeRequest.model at byte 0: its length is not a valid varint");
  EXPECT_EQ(FlawOf<v1::BakeRequest>("\x2b\x08\x01"),  // a group of field 5, never ended
            "the group of field 5 never ends");
  EXPECT_EQ(FlawOf<v1::BakeRequest>("\x2b\x3c"),  // ended by field 7's end-group tag
            "field 7 of a group at byte 1: wire type 4 is not valid here");
}

// Whatever the damage, the walk finds a flaw exactly when protobuf refuses to parse.
TEST(ParseCostTest, FindsAFlawExactlyWhenProtobufRefuses) {
  v1::BakeRequest request;
  request.set_model(WeightModel({4, 3}, Ramp(12)).SerializeAsString());
  for (int i = 0; i < 4; ++i) {
    v1::TensorQuantConfig* config = request.add_configs();
    config->set_operation("conv" + std::to_string(i));
    config->set_variable("w");
    config->add_scale(0.5f);
    config->add_scale(0.25f);
    config->add_zero_point(1.0f);
    config->set_channel_axis(0);
  }
  request.mutable_options()->set_chunk_bytes(4096);
  const std::string intact = request.SerializeAsString();
  std::mt19937 random(20261128);
  int refused = 0;
  const google::protobuf::LogSilencer quiet;  // protobuf logs each string that is not UTF-8
  for (int round = 0; round < 20000; ++round) {
    std::string bytes = intact;
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < flips; ++i) bytes[random() % bytes.size()] = static_cast<char>(random());
    if (round % 4 == 0) bytes.resize(random() % bytes.size());
    v1::BakeRequest parsed;
    const bool parses = parsed.ParseFromString(bytes);
    const std::string flaw = EstimateParseCost(*v1::BakeRequest::descriptor(), bytes).flaw;
    ASSERT_EQ(flaw.empty(), parses) << "round " << round << ": " << flaw;
    if (!parses) ++refused;
  }
  EXPECT_GT(refused, 1000);
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

TEST(ParseCostTest, ARequestOfManyEmptyConfigsIsRefusedBeforeParsing) {
  v1::BakeRequest request;
  const absl::Status parsed = ParseWireMessage(EmptyFields(2, 2000000), "request", &request);
  EXPECT_EQ(parsed.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(parsed.message(), HasSubstr("request: its 4000000 bytes would take about"));
  EXPECT_THAT(parsed.message(), HasSubstr("2000000 of them in qbake.v1.BakeRequest.configs"));
  EXPECT_EQ(request.configs_size(), 0);
}

TEST(ParseCostTest, AMalformedMessageIsInvalidArgumentNamingItsFlaw) {
  v1::BakeStreamRequest message;
  const absl::Status parsed =
      ParseWireMessage(DelimitedField(2, 100, "xy"), "BakeStream: message 1", &message);
  EXPECT_EQ(parsed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.message(),
            "BakeStream: message 1: not a valid qbake.v1.BakeStreamRequest: "
            "qbake.v1.BakeStreamRequest.model_data at byte 0 declares 100 bytes where 2 remain");
}

}  // namespace
}  // namespace qbake::testing
