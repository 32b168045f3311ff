// Runs one call's bake with the core's BakeSession and keeps everything its results
// are streamed from: the baked model, the specs, the outcome and the integers.
#ifndef QBAKE_SERVER_MODEL_BAKE_H_
#define QBAKE_SERVER_MODEL_BAKE_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bake_outcome.h"
#include "core/bake_session.h"
#include "core/config_spec.h"
#include "core/thread_pool.h"
#include "onnx/onnx_pb.h"
#include "server/bake_settings.h"

namespace qbake {

struct BakedModel {
  std::unique_ptr<onnx::ModelProto> model;  // baked in place
  std::vector<TensorConfigSpec> specs;
  BakeOutcome outcome;                   // index-aligned with specs
  std::unique_ptr<BakeSession> session;  // holds the integers, with want_integers
};

// Bakes `model` with `settings`; `cancelled` is polled between batches. The core's
// status is returned unchanged (CANCELLED once `cancelled` said so).
absl::StatusOr<BakedModel> BakeModel(ThreadPool* pool, std::unique_ptr<onnx::ModelProto> model,
                                     BakeSettings settings, std::function<bool()> cancelled);

}  // namespace qbake

#endif  // QBAKE_SERVER_MODEL_BAKE_H_
