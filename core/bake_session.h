// Bakes a model: resolves the configs against the graph, bakes every parameter
// whose config is ACTIVATED or PASSIVE, rewrites those tensors in place, and
// reports each config's outcome and a summary.
//
// Two ways to drive it, with the same numbers:
// - Run: the whole model at once (independent tensors in parallel on the pool). On
//   error or cancellation the model is left untouched: every parameter, and every
//   DYNAMIC scale once solved, is checked before the first bakes (a baked value that
//   is not finite float32 is an error too, which those checks leave none of), and
//   with a `cancelled` callback the bakes run in copies written back only once all
//   are done (without one, float32 raw_data bakes where it lies).
// - Prepare, then BakeParameter for each name of pending() in any order, as its data
//   becomes available, then Finish: for a model whose tensors arrive one by one.
//   Only the graph is needed at Prepare; each parameter's data only when it bakes.
//   parameters() tells the caller what Prepare resolved for each.
#ifndef QBAKE_CORE_BAKE_SESSION_H_
#define QBAKE_CORE_BAKE_SESSION_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bake_outcome.h"
#include "core/config_resolver.h"
#include "core/config_spec.h"
#include "core/graph_index.h"
#include "core/integer_type.h"
#include "core/quant_config.h"
#include "core/thread_pool.h"
#include "onnx/onnx_pb.h"

namespace qbake {

// One parameter being baked (defined in bake_session.cc).
struct BakeWork;

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

// A parameter to bake, as Prepare resolved it.
struct PendingParameter {
  std::string name;
  onnx::TensorProto* tensor = nullptr;  // in the model given to Prepare
  // The type of the integers its bake keeps (want_integers), when they are kept:
  // the type of the first config that bakes it.
  IntegerType integer_type = IntegerType::kInt8;
};

class BakeSession {
 public:
  BakeSession(ThreadPool* pool, BakeOptions options);
  ~BakeSession();

  // Bakes `model` in place. Outcomes are index-aligned with `specs`.
  absl::StatusOr<BakeOutcome> Run(onnx::ModelProto* model,
                                  absl::Span<const TensorConfigSpec> specs);

  // Validates and resolves `specs` against `model`'s graph, whose tensors may still
  // lack their data. `model` and `specs` must outlive the session's use and the
  // model keep its structure. Errors are Run's resolution errors.
  absl::Status Prepare(onnx::ModelProto* model, absl::Span<const TensorConfigSpec> specs);

  // After Prepare: the parameters still to bake, in config order, each once.
  const std::vector<std::string>& pending() const { return pending_; }
  // After Prepare: every parameter to bake, baked or not, in config order (the order
  // of pending() after Prepare).
  const std::vector<PendingParameter>& parameters() const { return parameters_; }

  // Bakes the pending parameter `name`, whose tensor must now hold its data, and
  // rewrites the tensor (float32 raw_data is baked where it lies). Errors are Run's
  // for that parameter (non-finite values, data not matching the dims, a DYNAMIC
  // scale solved beyond float32); the tensor is then unchanged, but for non-finite
  // values in float32 raw_data, checked as each part bakes: it is left partly baked
  // then (its caller drops it). CANCELLED when options.cancelled says so before it
  // starts.
  absl::Status BakeParameter(absl::string_view name);

  // Once every pending parameter has baked: the outcome, as Run returns it.
  BakeOutcome Finish();

  // With want_integers: the clamped integers of each baked LINEAR/DYNAMIC parameter,
  // by parameter name (since Run or Prepare).
  const std::map<std::string, std::vector<int32_t>>& integers() const { return integers_; }
  // Moves out the integers of `name` (empty when there are none).
  std::vector<int32_t> TakeIntegers(const std::string& name);

 private:
  // Records a baked parameter's outcome, summary and integers.
  void Record(BakeWork* work);

  ThreadPool* pool_;
  BakeOptions options_;
  absl::Time start_;
  absl::Span<const TensorConfigSpec> specs_;
  std::unique_ptr<GraphIndex> graph_;
  std::vector<ResolvedConfig> resolved_;
  std::vector<std::string> pending_;
  std::vector<PendingParameter> parameters_;
  BakeOutcome outcome_;
  std::vector<size_t> summary_order_;  // spec index of each summary.parameters entry
  std::map<std::string, std::vector<int32_t>> integers_;
};

}  // namespace qbake

#endif  // QBAKE_CORE_BAKE_SESSION_H_
