// libFuzzer target: any bytes as a PPQ config document, parsed, then (when it parses)
// resolved and baked against the bundled model and rendered back.
#include <cstddef>
#include <cstdint>

#include "core/ppq_config_document.h"
#include "tests/fuzz/fuzz_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<qbake::PpqConfigDocument> document =
      qbake::PpqConfigDocument::Parse(absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!document.ok()) return 0;
  onnx::ModelProto model = qbake::fuzz::BundledModel();
  qbake::fuzz::BakeAndRender(&model, document->specs(), &*document);
  return 0;
}
