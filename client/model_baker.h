// Where a model gets baked (and exported). Every baker rewrites the model's
// parameters in place and returns a BakeOutcome index-aligned with the specs, so
// reading, writing and reporting are the same whether the bake runs in this process
// or elsewhere; an export is made where the bake is.
#ifndef QBAKE_CLIENT_MODEL_BAKER_H_
#define QBAKE_CLIENT_MODEL_BAKER_H_

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/bake_outcome.h"
#include "core/bake_session.h"
#include "core/config_spec.h"
#include "core/qdq_export.h"
#include "core/thread_pool.h"
#include "onnx/onnx_pb.h"

namespace qbake {

// A bake and its QDQ export.
struct ExportedBake {
  BakeOutcome outcome;
  QdqExportReport report;
};

class ModelBaker {
 public:
  virtual ~ModelBaker() = default;
  // Every tensor of `model` must hold its data (CheckDataInline: INVALID_ARGUMENT
  // otherwise). On error the model is unchanged.
  virtual absl::StatusOr<BakeOutcome> Bake(onnx::ModelProto* model,
                                           absl::Span<const TensorConfigSpec> specs,
                                           const BakeOptions& options) = 0;
  // Bakes as Bake does, then rewrites `model` into its QDQ form (ExportQdq, whose
  // errors it returns as they are), rounding where no config names a rounding as
  // the bake does: export.default_rounding is options.default_rounding. On error
  // the model may hold the bake without the export.
  virtual absl::StatusOr<ExportedBake> BakeAndExport(onnx::ModelProto* model,
                                                     absl::Span<const TensorConfigSpec> specs,
                                                     const BakeOptions& options,
                                                     QdqExportOptions export_options) = 0;
};

// Bakes in this process with a BakeSession on its own thread pool.
class LocalModelBaker final : public ModelBaker {
 public:
  // `threads` <= 0: one per hardware thread.
  explicit LocalModelBaker(int threads) : pool_(threads) {}

  absl::StatusOr<BakeOutcome> Bake(onnx::ModelProto* model,
                                   absl::Span<const TensorConfigSpec> specs,
                                   const BakeOptions& options) override;
  absl::StatusOr<ExportedBake> BakeAndExport(onnx::ModelProto* model,
                                             absl::Span<const TensorConfigSpec> specs,
                                             const BakeOptions& options,
                                             QdqExportOptions export_options) override;

  // The threads it bakes on, for bakes driven otherwise (BakeSession's Prepare and
  // BakeParameter).
  ThreadPool* pool() { return &pool_; }

 private:
  ThreadPool pool_;
};

}  // namespace qbake

#endif  // QBAKE_CLIENT_MODEL_BAKER_H_
