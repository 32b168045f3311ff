// libFuzzer target: any bytes as a serialized ONNX model, parsed the way the server
// parses a request's model, then baked with the bundled config document's specs.
// The server's walk of the bytes must find a flaw exactly when protobuf refuses them
// (else a finding).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "server/parse_cost.h"
#include "server/request_model.h"
#include "tests/fuzz/fuzz_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  const bool flawless =
      qbake::EstimateParseCost(*onnx::ModelProto::descriptor(), bytes).flaw.empty();
  if (flawless != onnx::ModelProto().ParseFromArray(data, static_cast<int>(size))) std::abort();
  absl::StatusOr<std::unique_ptr<onnx::ModelProto>> model = qbake::ParseModel(bytes);
  if (!model.ok()) return 0;
  // Rendering the document is config_document_fuzzer's part; it would halve the speed.
  qbake::fuzz::BakeAndRender(model->get(), qbake::fuzz::BundledConfig().specs(), nullptr);
  return 0;
}
