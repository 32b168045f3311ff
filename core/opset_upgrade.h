// Raising a model's default-domain (ai.onnx) opset for an export that needs newer
// operator versions: ONNX's own version converter up to opset 17 (the newest that
// Debian's libonnx 1.12 knows), then qbake's adapters from 17 to 19, whose only
// incompatible change for existing operators is opset 18's Reduce* `axes`, an
// attribute turned input. Never a bare rewrite of the version number. The IR version
// is raised to what the opset needs (7 up to opset 14, 8 up to 18, 9 for 19).
// Operators PPQ wrote in a newer form than the declared opset are first written in
// the declared form (core/newer_operator_forms.h), so the converter can raise them.
#ifndef QBAKE_CORE_OPSET_UPGRADE_H_
#define QBAKE_CORE_OPSET_UPGRADE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "onnx/onnx_pb.h"

namespace qbake {

// The newest opset RaiseOpset reaches.
constexpr int64_t kNewestExportOpset = 19;

// The default-domain opset `model` imports; INVALID_ARGUMENT when it imports none.
absl::StatusOr<int64_t> DefaultOpset(const onnx::ModelProto& model);

// Raises `model`'s default-domain opset to `target` (<= kNewestExportOpset) when it
// is lower; leaves it as it is otherwise. FAILED_PRECONDITION naming both versions
// and the converter's reason when ONNX's converter cannot convert the model; the
// model is then unchanged.
absl::Status RaiseOpset(onnx::ModelProto* model, int64_t target);

}  // namespace qbake

#endif  // QBAKE_CORE_OPSET_UPGRADE_H_
