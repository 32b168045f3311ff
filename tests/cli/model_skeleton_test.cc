// ReadModelSkeleton: a model file's structure walked without parsing, its large
// inline raw_data left out and found where it lies, and any flaw an error (the file
// is then parsed whole).
#include "cli/model_skeleton.h"

#include <string>
#include <vector>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "gtest/gtest.h"
#include "tests/support/model_builder.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

// Initializers "big" (2 KiB of raw_data), "small" (16 bytes) and "floats"
// (float_data), and a Constant whose value "c" holds 4 KiB.
onnx::ModelProto MixedModel() {
  ModelBuilder builder;
  onnx::TensorProto floats;
  floats.set_name("floats");
  floats.set_data_type(onnx::TensorProto::FLOAT);
  floats.add_dims(2);
  floats.add_float_data(1.5f);
  floats.add_float_data(-2.5f);
  builder.Initializer(MakeTensor("big", {512}, std::vector<float>(512, 0.25f)))
      .Initializer(MakeTensor("small", {4}, {1, 2, 3, 4}))
      .Initializer(floats)
      .Constant(MakeTensor("c", {1024}, std::vector<float>(1024, -7.0f)))
      .Node("Add", "add", {"big", "c"}, {"y"});
  onnx::ModelProto model = builder.model();
  model.set_ir_version(8);
  model.mutable_graph()->set_name("mixed");
  return model;
}

// Appends field `field` holding `bytes` (length-delimited) to `out`.
void AppendDelimited(int field, const std::string& bytes, std::string* out) {
  google::protobuf::io::StringOutputStream stream(out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.WriteTag(google::protobuf::internal::WireFormatLite::MakeTag(
      field, google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
  coded.WriteVarint32(static_cast<uint32_t>(bytes.size()));
  coded.WriteString(bytes);
}

class ModelSkeletonTest : public ::testing::Test {
 protected:
  absl::StatusOr<ModelSkeleton> Walk(const std::string& bytes) {
    WriteFileOrDie(folder_.path() / "model.onnx", bytes);
    absl::StatusOr<RegularFile> file = RegularFile::Open(folder_.path() / "model.onnx");
    EXPECT_TRUE(file.ok()) << file.status();
    return ReadModelSkeleton(*file, 1024);
  }

  ScratchFolder folder_;
};

TEST_F(ModelSkeletonTest, LargeRawDataIsLeftOutAndFoundWhereItLies) {
  const onnx::ModelProto model = MixedModel();
  const std::string bytes = model.SerializeAsString();
  absl::StatusOr<ModelSkeleton> skeleton = Walk(bytes);
  ASSERT_TRUE(skeleton.ok()) << skeleton.status();
  ASSERT_EQ(skeleton->spans.size(), 3u);  // c, big, small: nodes (field 1) come first
  const onnx::TensorProto* tensors[] = {&model.graph().node(0).attribute(0).t(),
                                        &model.graph().initializer(0),
                                        &model.graph().initializer(1)};
  const bool stripped[] = {true, true, false};
  for (int i = 0; i < 3; ++i) {
    const InlineDataSpan& span = skeleton->spans[i];
    EXPECT_TRUE(bytes.substr(span.offset, span.length) == tensors[i]->raw_data()) << i;
    EXPECT_EQ(span.stripped, stripped[i]) << i;
  }
  EXPECT_EQ(skeleton->spans[0].initializer, -1);
  EXPECT_EQ(skeleton->spans[0].node, 0);
  EXPECT_EQ(skeleton->spans[0].attribute, 0);
  EXPECT_EQ(skeleton->spans[1].initializer, 0);
  EXPECT_EQ(skeleton->spans[2].initializer, 1);

  onnx::ModelProto expected = model;
  expected.mutable_graph()->mutable_initializer(0)->clear_raw_data();
  expected.mutable_graph()->mutable_node(0)->mutable_attribute(0)->mutable_t()->clear_raw_data();
  onnx::ModelProto parsed;
  ASSERT_TRUE(parsed.ParseFromString(skeleton->bytes));
  EXPECT_TRUE(parsed.SerializeAsString() == expected.SerializeAsString());
}

TEST_F(ModelSkeletonTest, AGraphInTwoPiecesCountsItsInitializersAcross) {
  const onnx::ModelProto model = MixedModel();
  onnx::ModelProto first;
  *first.mutable_graph()->add_initializer() = model.graph().initializer(0);
  onnx::ModelProto rest = model;
  rest.mutable_graph()->mutable_initializer()->DeleteSubrange(0, 1);
  // Two serialized messages one after the other parse as their merge: the
  // initializers of the second follow those of the first.
  const std::string bytes = first.SerializeAsString() + rest.SerializeAsString();
  onnx::ModelProto merged;
  ASSERT_TRUE(merged.ParseFromString(bytes));
  absl::StatusOr<ModelSkeleton> skeleton = Walk(bytes);
  ASSERT_TRUE(skeleton.ok()) << skeleton.status();
  ASSERT_EQ(skeleton->spans.size(), 3u);  // big; then c and small
  EXPECT_EQ(skeleton->spans[0].initializer, 0);
  EXPECT_EQ(skeleton->spans[2].initializer, 1);
  EXPECT_TRUE(bytes.substr(skeleton->spans[2].offset, skeleton->spans[2].length) ==
              merged.graph().initializer(1).raw_data());
}

TEST_F(ModelSkeletonTest, AFlawIsAnErrorNotASkeleton) {
  const std::string bytes = MixedModel().SerializeAsString();
  EXPECT_FALSE(Walk(bytes.substr(0, bytes.size() - 1)).ok());  // truncated
  EXPECT_FALSE(Walk(bytes + std::string(1, '\0')).ok());       // a tag of field 0

  // One initializer holding raw_data twice: protobuf keeps the last.
  onnx::TensorProto first;
  first.set_raw_data(std::string(2048, 'a'));
  onnx::TensorProto second;
  second.set_raw_data("bbbbbbbb");
  std::string graph;
  AppendDelimited(5, first.SerializeAsString() + second.SerializeAsString(), &graph);
  std::string twice;
  AppendDelimited(7, graph, &twice);
  onnx::ModelProto parsed;
  ASSERT_TRUE(parsed.ParseFromString(twice));
  ASSERT_EQ(parsed.graph().initializer(0).raw_data(), "bbbbbbbb");
  EXPECT_FALSE(Walk(twice).ok());
}

}  // namespace
}  // namespace qbake::testing
