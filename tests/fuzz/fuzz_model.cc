#include "tests/fuzz/fuzz_model.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/bake_session.h"
#include "core/qdq_export.h"
#include "core/thread_pool.h"

namespace qbake::fuzz {
namespace {

// Fuzzing speed is mostly the bake's: keeping every tensor's first dimension, at
// most kKeptSecond of its second and one of each further one keeps the channels
// (and so the configs' per-channel scales) valid while a bake takes microseconds.
constexpr int64_t kKeptSecond = 16;

void Shrink(onnx::TensorProto* tensor) {
  if (tensor->data_type() != onnx::TensorProto::FLOAT || tensor->dims_size() < 2) return;
  int64_t inner = 1;  // elements per step of the second dimension
  for (int i = 2; i < tensor->dims_size(); ++i) inner *= tensor->dims(i);
  const int64_t rows = tensor->dims(0);
  const int64_t columns = tensor->dims(1);
  const std::string& raw = tensor->raw_data();
  if (raw.size() != static_cast<size_t>(rows * columns * inner) * sizeof(float)) return;
  const int64_t kept = std::min(columns, kKeptSecond);
  std::string shrunk;
  for (int64_t row = 0; row < rows; ++row) {
    for (int64_t column = 0; column < kept; ++column) {
      shrunk.append(raw, static_cast<size_t>((row * columns + column) * inner) * sizeof(float),
                    sizeof(float));
    }
  }
  tensor->set_dims(1, kept);
  for (int i = 2; i < tensor->dims_size(); ++i) tensor->set_dims(i, 1);
  tensor->set_raw_data(std::move(shrunk));
}

std::string ReadBundled(const char* name) {
  std::ifstream file(std::string(QBAKE_FUZZ_CASE_DIR) + "/" + name, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  if (!file) std::abort();  // the fuzzer is built wrongly: nothing to fuzz against
  return text.str();
}

}  // namespace

const onnx::ModelProto& BundledModel() {
  static const onnx::ModelProto* const model = [] {
    auto* parsed = new onnx::ModelProto;
    if (!parsed->ParseFromString(ReadBundled("model.onnx"))) std::abort();
    for (onnx::TensorProto& tensor : *parsed->mutable_graph()->mutable_initializer()) {
      Shrink(&tensor);
    }
    return parsed;
  }();
  return *model;
}

const PpqConfigDocument& BundledConfig() {
  static const PpqConfigDocument* const document = [] {
    absl::StatusOr<PpqConfigDocument> parsed =
        PpqConfigDocument::Parse(ReadBundled("ppq_config.json"));
    if (!parsed.ok()) std::abort();
    return new PpqConfigDocument(*std::move(parsed));
  }();
  return *document;
}

void BakeAndRender(onnx::ModelProto* model, absl::Span<const TensorConfigSpec> specs,
                   const PpqConfigDocument* document) {
  static ThreadPool* const pool = new ThreadPool(1);
  BakeSession session(pool, BakeOptions{});
  absl::StatusOr<BakeOutcome> outcome = session.Run(model, specs);
  if (!outcome.ok()) return;
  if (document != nullptr) document->Render(outcome->configs);
  // Then the QDQ export (both weight forms, activation pairs), on the baked model:
  // ONNX's version converter meets any graph the fuzzer makes.
  QdqExportOptions options;
  options.float_weights = model->ByteSizeLong() % 2 == 1;
  (void)ExportQdq(model, specs, *outcome, options);
}

}  // namespace qbake::fuzz
