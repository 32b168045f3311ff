#include "client/model_baker.h"

namespace qbake {

absl::StatusOr<BakeOutcome> LocalModelBaker::Bake(onnx::ModelProto* model,
                                                  absl::Span<const TensorConfigSpec> specs,
                                                  const BakeOptions& options) {
  BakeSession session(&pool_, options);
  return session.Run(model, specs);
}

}  // namespace qbake
