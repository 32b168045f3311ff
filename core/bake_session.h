// Bakes a whole model: resolves the configs against the graph, bakes every parameter
// whose config is ACTIVATED or PASSIVE (independent tensors in parallel on the
// pool), rewrites those tensors in place, and reports each config's outcome and a
// summary. On error the model is left untouched: nothing is written back until every
// parameter has baked.
#ifndef QBAKE_CORE_BAKE_SESSION_H_
#define QBAKE_CORE_BAKE_SESSION_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/bake_outcome.h"
#include "core/config_spec.h"
#include "core/quant_config.h"
#include "core/thread_pool.h"
#include "onnx/onnx_pb.h"

namespace qbake {

struct BakeOptions {
  // Where neither the config nor its platform names a rounding.
  Rounding default_rounding = Rounding::kHalfEven;
  // Keep each LINEAR/DYNAMIC bake's clamped integers in BakeOutcome-side storage.
  bool want_integers = false;
  // Called from the calling thread after each batch of parameters is baked.
  std::function<void(int64_t done_bytes, int64_t total_bytes)> progress;
  // Polled before each batch; when it returns true the bake stops with CANCELLED
  // and the model is left unchanged.
  std::function<bool()> cancelled;
};

class BakeSession {
 public:
  BakeSession(ThreadPool* pool, BakeOptions options)
      : pool_(pool), options_(std::move(options)) {}

  // Bakes `model` in place. Outcomes are index-aligned with `specs`.
  absl::StatusOr<BakeOutcome> Run(onnx::ModelProto* model,
                                  absl::Span<const TensorConfigSpec> specs);

  // With want_integers: the clamped integers of each baked LINEAR/DYNAMIC parameter
  // of the last Run, by parameter name.
  const std::map<std::string, std::vector<int32_t>>& integers() const { return integers_; }

 private:
  ThreadPool* pool_;
  BakeOptions options_;
  std::map<std::string, std::vector<int32_t>> integers_;
};

}  // namespace qbake

#endif  // QBAKE_CORE_BAKE_SESSION_H_
