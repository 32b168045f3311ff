// BakeOptions.format: the server exports the baked model (core/qdq_export.h) and
// streams it as the API says (ExportReport, ModelChunks, ExportedTensorChunks, no
// TensorChunks); rebuilt, it is byte for byte the model a local bake and export
// give, by Bake and by BakeStream, for every e2e case. Bad export options are
// refused naming the field.
#include <ostream>
#include <string>
#include <vector>

#include "core/bake_session.h"
#include "core/qdq_export.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/bake_results.h"
#include "tests/server/e2e_cases.h"
#include "tests/server/server_test_support.h"
#include "tests/support/stream_requests.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;

constexpr uint32_t kChunkBytes = 4096;

// The model a local bake and export of `e2e` give, serialized.
std::string LocalExport(const E2eCase& e2e, const QdqExportOptions& options,
                        QdqExportReport* report) {
  onnx::ModelProto model = e2e.model;
  ThreadPool pool(2);
  BakeSession session(&pool, BakeOptions());
  absl::StatusOr<BakeOutcome> outcome = session.Run(&model, e2e.specs);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  absl::StatusOr<QdqExportReport> exported = ExportQdq(&model, e2e.specs, *outcome, options);
  EXPECT_TRUE(exported.ok()) << exported.status();
  *report = *exported;
  return model.SerializeAsString();
}

// The exported model rebuilt from a reply's events, serialized, after checking the
// order the API gives them: no TensorChunk, the report before the model's chunks,
// the model's chunks in order, then each emptied initializer's bytes in graph order,
// the summary last.
std::string RebuiltExport(const std::vector<v1::BakeEvent>& events, v1::ExportReport* report) {
  std::string model_bytes;
  std::vector<const v1::TensorChunk*> tensor_chunks;
  int reports = 0;
  for (const v1::BakeEvent& event : events) {
    EXPECT_FALSE(event.has_tensor()) << event.tensor().name();
    if (event.has_export_report()) {
      *report = event.export_report();
      ++reports;
    }
    if (event.has_model()) {
      EXPECT_EQ(reports, 1);
      EXPECT_TRUE(tensor_chunks.empty());
      EXPECT_EQ(event.model().offset(), model_bytes.size());
      EXPECT_LE(event.model().data().size(), kChunkBytes);
      model_bytes += event.model().data();
      EXPECT_LE(model_bytes.size(), event.model().total_bytes());
    }
    if (event.has_exported_tensor()) tensor_chunks.push_back(&event.exported_tensor());
  }
  EXPECT_EQ(reports, 1);
  EXPECT_TRUE(events.back().has_summary());
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(model_bytes));
  size_t next = 0;
  for (onnx::TensorProto& tensor : *model.mutable_graph()->mutable_initializer()) {
    if (tensor.has_raw_data()) continue;
    while (next < tensor_chunks.size() && tensor_chunks[next]->name() == tensor.name()) {
      EXPECT_EQ(tensor_chunks[next]->offset(), tensor.raw_data().size());
      EXPECT_EQ(tensor_chunks[next]->data_type(), tensor.data_type());
      *tensor.mutable_raw_data() += tensor_chunks[next]->data();
      ++next;
    }
  }
  EXPECT_EQ(next, tensor_chunks.size());
  return model.SerializeAsString();
}

struct ExportCase {
  std::string e2e;
  v1::ExportFormat format;
  bool activations;
};

void PrintTo(const ExportCase& c, std::ostream* out) {
  *out << c.e2e << " " << v1::ExportFormat_Name(c.format) << (c.activations ? " all" : " weights");
}

class ExportTest : public ::testing::TestWithParam<ExportCase> {
 protected:
  v1::BakeOptions Options() const {
    v1::BakeOptions options;
    options.set_format(GetParam().format);
    options.set_no_activation_qdq(!GetParam().activations);
    options.set_chunk_bytes(kChunkBytes);
    return options;
  }

  void ExpectLocalExport(const E2eCase& e2e, const CallResult& result) const {
    ASSERT_TRUE(result.status.ok()) << result.status.error_message();
    QdqExportReport local_report;
    const std::string local = LocalExport(
        e2e, QdqExportOptions{GetParam().format == v1::EXPORT_QDQ_FLOAT, GetParam().activations},
        &local_report);
    v1::ExportReport report;
    const std::string remote = RebuiltExport(result.events, &report);
    EXPECT_TRUE(remote == local) << "the exported model differs from the local export";
    EXPECT_EQ(report.exported_size(), local_report.exported.size());
    EXPECT_EQ(report.kept_float_size(), local_report.kept_float.size());
    EXPECT_EQ(report.activations_size(), local_report.activations.size());
    EXPECT_EQ(report.opset_after(), local_report.opset_after);
    EXPECT_EQ(ConfigUpdates(result.events).size(), e2e.specs.size());
  }
};

TEST_P(ExportTest, BakeSendsTheModelALocalExportGives) {
  const E2eCase e2e = LoadE2eCase(GetParam().e2e);
  TestServer server;
  ExpectLocalExport(e2e,
                    CallBake(server.stub(), BakeRequestFor(e2e.model_bytes, e2e.specs, Options())));
}

TEST_P(ExportTest, BakeStreamSendsTheModelALocalExportGives) {
  const E2eCase e2e = LoadE2eCase(GetParam().e2e);
  TestServer server;
  ExpectLocalExport(e2e,
                    CallBakeStream(server.stub(), StreamRequests(e2e.model, e2e.specs, Options())));
}

std::vector<ExportCase> ExportCases() {
  std::vector<ExportCase> cases;
  for (const char* e2e : {"synth_trt_int8", "synth_ppl_cuda_int8", "synth_ncnn_int8",
                          "synth_graphcore_fp8", "ocrcls_openvino_int8"}) {
    cases.push_back({e2e, v1::EXPORT_QDQ, true});
    cases.push_back({e2e, v1::EXPORT_QDQ, false});
    cases.push_back({e2e, v1::EXPORT_QDQ_FLOAT, true});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(E2eCases, ExportTest, ::testing::ValuesIn(ExportCases()),
                         [](const auto& info) {
                           return info.param.e2e + "_" + v1::ExportFormat_Name(info.param.format) +
                                  (info.param.activations ? "_all" : "_weights");
                         });

TEST(ExportOptionsTest, AFormatTheApiDoesNotDefineIsRefused) {
  const E2eCase e2e = LoadE2eCase("synth_trt_int8");
  TestServer server;
  v1::BakeOptions options;
  options.set_format(static_cast<v1::ExportFormat>(7));
  const CallResult result =
      CallBake(server.stub(), BakeRequestFor(e2e.model_bytes, e2e.specs, options));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(result.status.error_message(),
            "options, field 'format': 7 is not an export format (0 EXPORT_BAKED, 1 EXPORT_QDQ, "
            "2 EXPORT_QDQ_FLOAT)");
}

TEST(ExportOptionsTest, NoActivationQdqWithoutAnExportIsRefused) {
  const E2eCase e2e = LoadE2eCase("synth_trt_int8");
  TestServer server;
  v1::BakeOptions options;
  options.set_no_activation_qdq(true);
  const CallResult result =
      CallBakeStream(server.stub(), StreamRequests(e2e.model, e2e.specs, options));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(result.status.error_message(),
              HasSubstr("options, field 'no_activation_qdq': it needs format EXPORT_QDQ or "
                        "EXPORT_QDQ_FLOAT"));
}

}  // namespace
}  // namespace qbake::testing
