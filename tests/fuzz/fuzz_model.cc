#include "tests/fuzz/fuzz_model.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/bake_session.h"
#include "core/thread_pool.h"

namespace qbake::fuzz {
namespace {

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
  if (outcome.ok() && document != nullptr) document->Render(outcome->configs);
}

}  // namespace qbake::fuzz
