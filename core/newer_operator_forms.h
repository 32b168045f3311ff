// PPQ's exporters write some operators in a form newer than the opset the model
// declares: Clip with `min`/`max` inputs (opset 11's form) and Slice with
// `starts`/`ends`/`axes`/`steps` inputs (opset 10's) under opset 9, as in the
// PaddleOCR model of tests/data/ppq_e2e/ocrcls_openvino_int8. ONNX Runtime refuses
// such a file, and ONNX's version converter cannot raise it. What PPQ meant is the
// newer form; written back in the declared opset's form (attributes read from the
// constant inputs), the converter raises it to the newer form again.
#ifndef QBAKE_CORE_NEWER_OPERATOR_FORMS_H_
#define QBAKE_CORE_NEWER_OPERATOR_FORMS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "onnx/onnx_pb.h"

namespace qbake {

// Rewrites, in the top-level graph of a model of default-domain opset `opset`, every
// Clip (opset < 11) and Slice (opset < 10) written in its newer form into the
// form of `opset`, dropping the initializers that only those inputs read.
// FAILED_PRECONDITION naming the node when an input it needs is not a constant
// (an initializer or a Constant node's tensor) of the right type, or a Slice step is
// not 1; the graph may then be partly rewritten (callers work on a copy).
absl::Status LowerNewerOperatorForms(onnx::GraphProto* graph, int64_t opset);

}  // namespace qbake

#endif  // QBAKE_CORE_NEWER_OPERATOR_FORMS_H_
