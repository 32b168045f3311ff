// What the fuzz targets share: the bundled case they bake against (tests/data's
// synth_trt_int8: its model and its PPQ config document), loaded once, and one bake
// of a model with a config's specs on a one-thread pool.
#ifndef QBAKE_TESTS_FUZZ_FUZZ_MODEL_H_
#define QBAKE_TESTS_FUZZ_FUZZ_MODEL_H_

#include <string>

#include "absl/types/span.h"
#include "core/ppq_config_document.h"
#include "onnx/onnx_pb.h"

namespace qbake::fuzz {

// The bundled model, parsed, every initializer shrunk to at most 16 elements per
// channel (the bake's cost is what limits a fuzzer's speed).
const onnx::ModelProto& BundledModel();

// The bundled config document, parsed.
const PpqConfigDocument& BundledConfig();

// Bakes `model` in place with `specs`; on success renders `document` (whose specs
// must be `specs`; nullptr renders nothing) with the outcomes and exports the model
// as QDQ (core/qdq_export.h), the whole path a CLI bake takes. Errors are expected and ignored: a
// fuzz target looks only for crashes, leaks and undefined behaviour.
void BakeAndRender(onnx::ModelProto* model, absl::Span<const TensorConfigSpec> specs,
                   const PpqConfigDocument* document);

}  // namespace qbake::fuzz

#endif  // QBAKE_TESTS_FUZZ_FUZZ_MODEL_H_
