// RemoteModelBaker::BakeAndExport: the request asks for the export (BakeOptions.format
// and no_activation_qdq), and the exported model a correct server streams replaces
// the model, byte for byte the local export, with its report. A reply that breaks
// the export's protocol is INTERNAL, naming what broke, and leaves the model as it
// was.
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "client/remote_channel.h"
#include "client/remote_model_baker.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/bake_replies.h"
#include "tests/client/fake_baker.h"
#include "tests/support/model_builder.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;

constexpr size_t kChunkBytes = 256;

// y = MatMul(x, W) + B: W [32, 64] (2 KiB stored as INT8), B [64] (INT32, 256 bytes).
onnx::ModelProto ExportModel() {
  std::vector<float> w(32 * 64);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.013f * static_cast<float>(i % 97) - 0.6f;
  onnx::ModelProto model = ModelBuilder()
                               .Node("MatMul", "mm", {"x", "W"}, {"y"})
                               .Node("Add", "add", {"y", "B"}, {"z"})
                               .Initializer(MakeTensor("W", {32, 64}, w))
                               .Initializer(MakeTensor("B", {64}, std::vector<float>(64, 0.25f)))
                               .model();
  model.set_ir_version(8);
  model.add_opset_import()->set_version(13);
  model.mutable_graph()->add_input()->set_name("x");
  model.mutable_graph()->add_output()->set_name("z");
  return model;
}

TensorConfigSpec Spec(const std::string& operation, const std::string& variable, int bits,
                      double scale) {
  TensorConfigSpec spec;
  spec.operation = operation;
  spec.variable = variable;
  spec.policy = kPerTensor | kLinear | kSymmetrical;
  spec.num_of_bits = bits;
  spec.quant_min = bits == 8 ? -128 : -(1 << 30);
  spec.quant_max = bits == 8 ? 127 : (1 << 30) - 1;
  spec.state = QuantState::kActivated;
  spec.scale = {scale};
  spec.offset = {0};
  return spec;
}

std::vector<TensorConfigSpec> ExportSpecs() {
  return {Spec("mm", "W", 8, 0.005), Spec("mm", "x", 8, 0.02), Spec("add", "B", 32, 1e-4)};
}

class RemoteExportTest : public ::testing::Test {
 protected:
  absl::StatusOr<ExportedBake> BakeAndExport(onnx::ModelProto* model,
                                             const QdqExportOptions& options) {
    ChannelSettings settings;
    settings.target = server_.target();
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(settings);
    EXPECT_TRUE(channel.ok()) << channel.status();
    RemoteModelBaker baker(channel.value_or(nullptr));
    return baker.BakeAndExport(model, ExportSpecs(), BakeOptions(), options);
  }

  FakeServer server_;
};

TEST_F(RemoteExportTest, AsksForTheExportAndTakesTheModelTheServerSends) {
  for (const QdqExportOptions options :
       {QdqExportOptions{false, true}, QdqExportOptions{true, false}}) {
    onnx::ModelProto local = ExportModel();
    LocalModelBaker local_baker(1);
    absl::StatusOr<ExportedBake> expected =
        local_baker.BakeAndExport(&local, ExportSpecs(), BakeOptions(), options);
    ASSERT_TRUE(expected.ok()) << expected.status();
    server_.baker().SetReply(
        {ExportReplyOf(ExportModel(), ExportSpecs(), options, kChunkBytes), grpc::Status::OK});

    onnx::ModelProto remote = ExportModel();
    absl::StatusOr<ExportedBake> exported = BakeAndExport(&remote, options);
    ASSERT_TRUE(exported.ok()) << exported.status();
    EXPECT_TRUE(remote.SerializeAsString() == local.SerializeAsString());
    EXPECT_EQ(exported->report.exported.size(), expected->report.exported.size());
    EXPECT_EQ(exported->report.activations.size(), expected->report.activations.size());
    EXPECT_EQ(exported->report.float_weights, options.float_weights);
    const v1::BakeOptions sent = server_.baker().calls().back().request.options();
    EXPECT_EQ(sent.format(), options.float_weights ? v1::EXPORT_QDQ_FLOAT : v1::EXPORT_QDQ);
    EXPECT_EQ(sent.no_activation_qdq(), !options.activations);
  }
}

// A correct export reply for ExportModel, spoiled by `spoil`.
struct MalformedExportCase {
  std::string name;
  std::function<void(std::vector<v1::BakeEvent>*)> spoil;
  std::string culprit;  // in the message
};

// The position of the first event of `kind` in `events`.
long First(v1::BakeEvent::EventCase kind, const std::vector<v1::BakeEvent>& events) {
  long i = 0;
  while (i < static_cast<long>(events.size()) && events[i].event_case() != kind) ++i;
  return i;
}

std::vector<MalformedExportCase> MalformedExportCases() {
  using Events = std::vector<v1::BakeEvent>;
  constexpr auto kReport = v1::BakeEvent::kExportReport;
  constexpr auto kModel = v1::BakeEvent::kModel;
  constexpr auto kTensor = v1::BakeEvent::kExportedTensor;
  return {
      {"NoReport", [](Events* e) { e->erase(e->begin() + First(kReport, *e)); },
       "a ModelChunk before the ExportReport"},
      {"ReportTwice", [](Events* e) { e->insert(e->begin(), (*e)[First(kReport, *e)]); },
       "a second ExportReport"},
      {"ModelChunkMissing", [](Events* e) { e->erase(e->begin() + First(kModel, *e) + 1); },
       "a ModelChunk at offset 512"},
      {"ModelEndsEarly",
       [](Events* e) {
         for (v1::BakeEvent& event : *e) {
           if (event.has_model()) event.mutable_model()->set_total_bytes(1 << 20);
         }
       },
       "the exported model ended after"},
      {"ModelDoesNotParse",
       [](Events* e) { (*e)[First(kModel, *e)].mutable_model()->mutable_data()->at(0) = '\xff'; },
       "does not parse"},
      {"TensorOfNoInitializer",
       [](Events* e) {
         for (v1::BakeEvent& event : *e) {
           if (event.has_exported_tensor()) event.mutable_exported_tensor()->set_name("nope");
         }
       },
       "exported tensor 'nope' for no initializer awaiting its bytes"},
      {"TensorOtherDims",
       [](Events* e) { (*e)[First(kTensor, *e)].mutable_exported_tensor()->set_dims(0, 64); },
       "dims [64, 64]"},
      {"TensorGap", [](Events* e) { e->erase(e->begin() + First(kTensor, *e) + 1); },
       "does not continue its tensor"},
      {"TensorEndsEarly",
       [](Events* e) { e->erase(e->begin() + First(v1::BakeEvent::kConfig, *e) - 1); },
       "exported tensor 'W_quantized' ended after 1792 of its 2048 bytes"},
      {"TensorMissing",
       [](Events* e) {
         e->erase(
             std::remove_if(e->begin(), e->end(),
                            [](const v1::BakeEvent& event) { return event.has_exported_tensor(); }),
             e->end());
       },
       "exported initializer 'W_quantized' came without its bytes"},
  };
}

class MalformedExportReplyTest : public RemoteExportTest,
                                 public ::testing::WithParamInterface<MalformedExportCase> {};

TEST_P(MalformedExportReplyTest, IsInternalAndLeavesTheModelAsItWas) {
  std::vector<v1::BakeEvent> events =
      ExportReplyOf(ExportModel(), ExportSpecs(), QdqExportOptions(), kChunkBytes);
  GetParam().spoil(&events);
  server_.baker().SetReply({events, grpc::Status::OK});
  onnx::ModelProto model = ExportModel();
  const absl::StatusOr<ExportedBake> exported = BakeAndExport(&model, QdqExportOptions());
  EXPECT_EQ(exported.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(exported.status().message()), HasSubstr("malformed reply"));
  EXPECT_THAT(std::string(exported.status().message()), HasSubstr(GetParam().culprit));
  EXPECT_TRUE(model.SerializeAsString() == ExportModel().SerializeAsString());
}

INSTANTIATE_TEST_SUITE_P(Replies, MalformedExportReplyTest,
                         ::testing::ValuesIn(MalformedExportCases()),
                         [](const auto& info) { return info.param.name; });

// A server from before exports ignores BakeOptions.format and bakes.
TEST_F(RemoteExportTest, AServerThatBakesInsteadOfExportingIsNamedAsPredatingExports) {
  server_.baker().SetReply(
      {ReplyOf(BakeLocally(ExportModel(), ExportSpecs()), ExportSpecs(), kChunkBytes),
       grpc::Status::OK});
  onnx::ModelProto model = ExportModel();
  const absl::StatusOr<ExportedBake> exported = BakeAndExport(&model, QdqExportOptions());
  EXPECT_EQ(exported.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(exported.status().message()),
              HasSubstr("qbake-server answered a request for an export with baked tensors: it "
                        "predates the export"));
  EXPECT_TRUE(model.SerializeAsString() == ExportModel().SerializeAsString());
}

TEST_F(RemoteExportTest, AnExportsEventsInABakesReplyAreMalformed) {
  onnx::ModelProto model = ExportModel();
  std::vector<v1::BakeEvent> events =
      ExportReplyOf(ExportModel(), ExportSpecs(), QdqExportOptions(), kChunkBytes);
  server_.baker().SetReply({events, grpc::Status::OK});
  ChannelSettings settings;
  settings.target = server_.target();
  RemoteModelBaker baker(OpenChannel(settings).value());
  const absl::StatusOr<BakeOutcome> outcome = baker.Bake(&model, ExportSpecs(), BakeOptions());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(outcome.status().message()),
              HasSubstr("an export's event, which the request did not ask for"));
}

}  // namespace
}  // namespace qbake::testing
