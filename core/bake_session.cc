#include "core/bake_session.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/config_error.h"
#include "core/config_resolver.h"
#include "core/graph_index.h"
#include "core/parameter_values.h"
#include "core/tensor_baker.h"

namespace qbake {
namespace {

// Progress is reported after each batch of about this many parameter bytes.
constexpr int64_t kProgressBatchBytes = int64_t{16} << 20;

// One parameter to bake: its resolved config, a float32 working copy of its values,
// and the job that bakes them.
struct ParameterWork {
  const ResolvedConfig* resolved = nullptr;
  const TensorConfigSpec* spec = nullptr;
  std::vector<int64_t> dims;
  std::vector<float> values;
  std::vector<int32_t> integers;
  std::unique_ptr<TensorBakeJob> job;
  int64_t bytes = 0;
};

absl::StatusOr<ParameterWork> PrepareWork(const ResolvedConfig& resolved,
                                          const TensorConfigSpec& spec, bool want_integers) {
  const onnx::TensorProto& tensor = *resolved.parameter->tensor;
  absl::StatusOr<std::vector<float>> values = ReadParameterValues(tensor);
  if (!values.ok()) return ConfigSiteError(spec.operation, spec.variable, values.status());
  const int64_t bad = FirstNonFinite(*values);
  if (bad >= 0) {
    return ConfigError(spec.operation, spec.variable, "value",
                       absl::StrCat("parameter holds ", (*values)[bad], " at flat index ", bad,
                                    "; baking needs finite values"));
  }
  ParameterWork work;
  work.resolved = &resolved;
  work.spec = &spec;
  work.dims.assign(tensor.dims().begin(), tensor.dims().end());
  work.values = *std::move(values);
  work.bytes = static_cast<int64_t>(work.values.size()) *
               (tensor.data_type() == onnx::TensorProto::FLOAT ? 4 : 2);
  if (want_integers && !resolved.config.Has(kFloating)) {
    work.integers.resize(work.values.size());
  }
  work.job = std::make_unique<TensorBakeJob>(resolved.config, work.dims,
                                             absl::MakeSpan(work.values),
                                             absl::MakeSpan(work.integers));
  return work;
}

ParameterSummary Summarize(const ParameterWork& work, const TensorBakeResult& result) {
  ParameterSummary summary;
  summary.operation = work.spec->operation;
  summary.variable = work.spec->variable;
  summary.state_before = work.spec->state;
  summary.state_after = BakedState(work.spec->state);
  summary.data_type = work.resolved->parameter->tensor->data_type();
  summary.elements = static_cast<int64_t>(work.values.size());
  summary.bytes = work.bytes;
  summary.max_abs_error = result.max_abs_error;
  summary.mean_squared_error = result.mean_squared_error;
  return summary;
}

std::vector<ConfigOutcome> UnchangedOutcomes(absl::Span<const TensorConfigSpec> specs) {
  std::vector<ConfigOutcome> outcomes(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) outcomes[i].state_after = specs[i].state;
  return outcomes;
}

// Bakes the prepared parameters in batches, reporting progress after each and
// stopping before the next one once the bake is cancelled.
absl::Status BakeInBatches(std::vector<ParameterWork>* work, ThreadPool* pool,
                           const BakeOptions& options) {
  int64_t total = 0;
  for (const ParameterWork& w : *work) total += w.bytes;
  int64_t done = 0;
  for (size_t begin = 0; begin < work->size();) {
    if (options.cancelled && options.cancelled()) {
      return absl::CancelledError("the bake was cancelled");
    }
    std::vector<TensorBakeJob*> batch;
    int64_t batch_bytes = 0;
    size_t end = begin;
    for (; end < work->size() && (batch.empty() || batch_bytes < kProgressBatchBytes); ++end) {
      batch.push_back((*work)[end].job.get());
      batch_bytes += (*work)[end].bytes;
    }
    RunBakeJobs(batch, pool);
    done += batch_bytes;
    if (options.progress) options.progress(done, total);
    begin = end;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BakeOutcome> BakeSession::Run(onnx::ModelProto* model,
                                             absl::Span<const TensorConfigSpec> specs) {
  const absl::Time start = absl::Now();
  integers_.clear();
  GraphIndex graph(model->mutable_graph());
  absl::StatusOr<std::vector<ResolvedConfig>> resolved =
      ConfigResolver(&graph, options_.default_rounding).Resolve(specs);
  if (!resolved.ok()) return resolved.status();

  std::vector<ParameterWork> work;
  for (const ResolvedConfig& r : *resolved) {
    absl::StatusOr<ParameterWork> prepared =
        PrepareWork(r, specs[r.spec_index], options_.want_integers);
    if (!prepared.ok()) return prepared.status();
    work.push_back(*std::move(prepared));
  }
  absl::Status baked = BakeInBatches(&work, pool_, options_);
  if (!baked.ok()) return baked;

  BakeOutcome outcome;
  outcome.configs = UnchangedOutcomes(specs);
  BakeSummary& summary = outcome.summary;
  summary.configs = static_cast<int64_t>(specs.size());
  for (ParameterWork& w : work) {
    const TensorBakeResult result = w.job->Finish();
    WriteParameterValues(w.values, w.resolved->parameter->tensor);
    ConfigOutcome& config = outcome.configs[w.resolved->spec_index];
    config.state_after = BakedState(w.spec->state);
    config.baked = true;
    config.scale = result.scale;
    config.offset = result.offset;
    config.scale_derived = w.resolved->scale_derived || w.resolved->config.Has(kDynamic);
    summary.parameters.push_back(Summarize(w, result));
    summary.bytes += w.bytes;
    if (!w.integers.empty()) integers_[w.spec->variable] = std::move(w.integers);
  }
  for (const ConfigOutcome& config : outcome.configs) {
    if (config.state_after == QuantState::kBaked) {
      ++summary.baked;
    } else if (config.baked) {
      ++summary.passive_baked;
    } else {
      ++summary.unchanged;
    }
  }
  summary.bake_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return outcome;
}

}  // namespace qbake
