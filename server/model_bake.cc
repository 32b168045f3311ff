#include "server/model_bake.h"

#include <utility>

namespace qbake {

absl::StatusOr<BakedModel> BakeModel(ThreadPool* pool, std::unique_ptr<onnx::ModelProto> model,
                                     BakeSettings settings, std::function<bool()> cancelled) {
  BakeOptions options = std::move(settings.options);
  options.cancelled = std::move(cancelled);
  BakedModel baked;
  baked.session = std::make_unique<BakeSession>(pool, std::move(options));
  absl::StatusOr<BakeOutcome> outcome = baked.session->Run(model.get(), settings.specs);
  if (!outcome.ok()) return outcome.status();
  baked.model = std::move(model);
  baked.specs = std::move(settings.specs);
  baked.outcome = *std::move(outcome);
  return baked;
}

}  // namespace qbake
