// libFuzzer target: any bytes as a serialized ONNX model, parsed the way the server
// parses a request's model, then baked with the bundled config document's specs.
#include <cstddef>
#include <cstdint>

#include "server/request_model.h"
#include "tests/fuzz/fuzz_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<std::unique_ptr<onnx::ModelProto>> model =
      qbake::ParseModel(absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!model.ok()) return 0;
  // Rendering the document is config_document_fuzzer's part; it would halve the speed.
  qbake::fuzz::BakeAndRender(model->get(), qbake::fuzz::BundledConfig().specs(), nullptr);
  return 0;
}
