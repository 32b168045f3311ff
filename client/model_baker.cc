#include "client/model_baker.h"

#include "client/inline_data.h"

namespace qbake {

absl::StatusOr<BakeOutcome> LocalModelBaker::Bake(onnx::ModelProto* model,
                                                  absl::Span<const TensorConfigSpec> specs,
                                                  const BakeOptions& options) {
  if (absl::Status inline_data = CheckDataInline(model); !inline_data.ok()) return inline_data;
  BakeSession session(&pool_, options);
  return session.Run(model, specs);
}

}  // namespace qbake
