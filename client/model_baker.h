// Where a model gets baked. Every baker rewrites the model's parameters in place and
// returns a BakeOutcome index-aligned with the specs, so reading, writing and
// reporting are the same whether the bake runs in this process or elsewhere.
#ifndef QBAKE_CLIENT_MODEL_BAKER_H_
#define QBAKE_CLIENT_MODEL_BAKER_H_

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/bake_outcome.h"
#include "core/bake_session.h"
#include "core/config_spec.h"
#include "core/thread_pool.h"
#include "onnx/onnx_pb.h"

namespace qbake {

class ModelBaker {
 public:
  virtual ~ModelBaker() = default;
  // Every tensor of `model` must hold its data (CheckDataInline: INVALID_ARGUMENT
  // otherwise). On error the model is unchanged.
  virtual absl::StatusOr<BakeOutcome> Bake(onnx::ModelProto* model,
                                           absl::Span<const TensorConfigSpec> specs,
                                           const BakeOptions& options) = 0;
};

// Bakes in this process with a BakeSession on its own thread pool.
class LocalModelBaker final : public ModelBaker {
 public:
  // `threads` <= 0: one per hardware thread.
  explicit LocalModelBaker(int threads) : pool_(threads) {}

  absl::StatusOr<BakeOutcome> Bake(onnx::ModelProto* model,
                                   absl::Span<const TensorConfigSpec> specs,
                                   const BakeOptions& options) override;

 private:
  ThreadPool pool_;
};

}  // namespace qbake

#endif  // QBAKE_CLIENT_MODEL_BAKER_H_
