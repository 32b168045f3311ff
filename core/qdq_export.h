// The QDQ export of a baked model (docs/EXPORT.md): every baked parameter that has an
// exact stored form (core/weight_integers.h) is stored as its integers (INT8, UINT8,
// INT32) or 8-bit floats (FLOAT8E4M3FN, FLOAT8E5M2) and read through one ONNX
// DequantizeLinear node whose output keeps the parameter's name, so every consumer
// reads, bit for bit, the baked float32 value. Scales and zero points are new
// initializers; PER_CHANNEL configs give DequantizeLinear an `axis`, PER_TENSOR ones
// none. The default-domain opset is raised to 13 at least (per-axis
// DequantizeLinear), to 19 when an 8-bit float is stored (core/opset_upgrade.h).
// A baked parameter without an exact stored form stays a baked float and is listed
// with the reason. Activations get QuantizeLinear -> DequantizeLinear pairs
// (core/activation_qdq.h) when the options ask for them. Top-level tensors holding
// their data lose an explicit data_location DEFAULT, so the export is the same
// whether the model's data was inline or external.
#ifndef QBAKE_CORE_QDQ_EXPORT_H_
#define QBAKE_CORE_QDQ_EXPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/activation_qdq.h"
#include "core/bake_outcome.h"
#include "core/config_spec.h"
#include "onnx/onnx_pb.h"

namespace qbake {

// The lowest opset of a QDQ export: DequantizeLinear with `axis`.
constexpr int64_t kQdqMinimumOpset = 13;

struct QdqExportedParameter {
  std::string operation;
  std::string variable;
  int32_t data_type = 0;  // the stored type (onnx::TensorProto::DataType)
  bool per_channel = false;
};

// A baked parameter left a baked float, and why.
struct QdqKeptFloat {
  std::string operation;
  std::string variable;
  std::string reason;
};

struct QdqExportOptions {
  // qdq-float, TensorRT's convention: each weight stays its baked float32 values, read
  // through QuantizeLinear -> DequantizeLinear (only where ONNX's QuantizeLinear gives
  // back exactly the stored integers: never INT32).
  bool float_weights = false;
  // QuantizeLinear -> DequantizeLinear pairs on activations (core/activation_qdq.h).
  bool activations = true;
  // The rounding of configs that name none and whose platform names none.
  Rounding default_rounding = Rounding::kHalfEven;
};

struct QdqExportReport {
  std::vector<QdqExportedParameter> exported;  // in config order
  // Those without a stored form, in config order, then those the opset conversion
  // turned into attributes.
  std::vector<QdqKeptFloat> kept_float;
  std::vector<QdqActivation> activations;  // with options.activations, in config order
  bool float_weights = false;              // options.float_weights
  int64_t opset_before = 0;
  int64_t opset_after = 0;
  double seconds = 0;  // the export's own time, wherever it ran
};

// Rewrites `model`, already baked in place with `specs` into `outcome` (a
// BakeSession's, or a ModelBaker's), into its QDQ form. Each parameter is exported
// once, by the first config that baked it. Errors, their messages beginning "the
// QDQ export: " (the model is then unchanged):
// INVALID_ARGUMENT when `specs` no longer resolve against the model or a baked
// tensor's data does not match its dims; FAILED_PRECONDITION when the opset cannot
// be raised (core/opset_upgrade.h).
absl::StatusOr<QdqExportReport> ExportQdq(onnx::ModelProto* model,
                                          absl::Span<const TensorConfigSpec> specs,
                                          const BakeOutcome& outcome,
                                          const QdqExportOptions& options);

}  // namespace qbake

#endif  // QBAKE_CORE_QDQ_EXPORT_H_
