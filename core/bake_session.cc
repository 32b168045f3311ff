#include "core/bake_session.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/config_error.h"
#include "core/dequantized_range.h"
#include "core/parameter_values.h"
#include "core/tensor_baker.h"

namespace qbake {

// Progress is reported after each batch of about this many parameter bytes.
constexpr int64_t kProgressBatchBytes = int64_t{16} << 20;

// One parameter to bake: its resolved config, its float32 values (a working copy,
// or the tensor's own float32 raw_data when baked in place), and the job that
// bakes them.
struct BakeWork {
  const ResolvedConfig* resolved = nullptr;
  const TensorConfigSpec* spec = nullptr;
  std::vector<int64_t> dims;
  std::vector<float> copy;
  absl::Span<float> values;
  std::vector<int32_t> integers;
  std::unique_ptr<TensorBakeJob> job;
  TensorBakeResult result;  // once baked
  int64_t bytes = 0;
};

namespace {

// The tensor's float32 raw_data as values, when it can be baked where it lies.
absl::Span<float> InPlaceValues(onnx::TensorProto* tensor) {
  if (tensor->data_type() != onnx::TensorProto::FLOAT || !tensor->has_raw_data() ||
      tensor->data_location() == onnx::TensorProto::EXTERNAL) {
    return {};
  }
  std::string* raw = tensor->mutable_raw_data();
  const absl::StatusOr<int64_t> count = ElementCount(*tensor);
  // Compared in values: count * 4 can wrap around to the byte size of far fewer.
  if (!count.ok() || raw->size() % sizeof(float) != 0 ||
      raw->size() / sizeof(float) != static_cast<uint64_t>(*count)) {
    return {};
  }
  return absl::MakeSpan(reinterpret_cast<float*>(raw->data()), static_cast<size_t>(*count));
}

absl::Status NonFiniteValueError(const TensorConfigSpec& spec, float value, int64_t index) {
  return ParameterValueError(spec.operation, spec.variable,
                             absl::StrCat("parameter holds ", value, " at flat index ", index,
                                          "; baking needs finite values"));
}

// When a parameter's values are checked to be finite.
enum class FiniteCheck {
  kBeforeBaking,  // all of them, on the pool, before any bakes
  // Each chunk as it bakes (TensorBakeJob::CheckEachChunk), read once from memory
  // for both: a parameter with a bad value is left partly baked. DYNAMIC parameters
  // are checked before baking (their solve reads every value first).
  kWhileBaking,
};

// Reads the parameter's values and checks them (`check`, on `pool`); `in_place`
// bakes float32 raw_data where it lies instead of in a copy.
absl::StatusOr<std::unique_ptr<BakeWork>> PrepareBakeWork(const ResolvedConfig& resolved,
                                                          const TensorConfigSpec& spec,
                                                          bool want_integers, bool in_place,
                                                          FiniteCheck check, ThreadPool* pool) {
  onnx::TensorProto* tensor = resolved.parameter->tensor;
  auto work = std::make_unique<BakeWork>();
  work->values = in_place ? InPlaceValues(tensor) : absl::Span<float>();
  if (work->values.empty()) {
    absl::StatusOr<std::vector<float>> values = ReadParameterValues(*tensor);
    if (!values.ok()) return ConfigSiteError(spec.operation, spec.variable, values.status());
    work->copy = *std::move(values);
    work->values = absl::MakeSpan(work->copy);
  }
  const bool check_now = check == FiniteCheck::kBeforeBaking || resolved.config.Has(kDynamic);
  const int64_t bad = check_now ? FirstNonFinite(work->values, pool) : -1;
  if (bad >= 0) return NonFiniteValueError(spec, work->values[bad], bad);
  work->resolved = &resolved;
  work->spec = &spec;
  work->dims.assign(tensor->dims().begin(), tensor->dims().end());
  work->bytes =
      static_cast<int64_t>(work->values.size()) * BakeableElementBytes(tensor->data_type());
  if (want_integers && !resolved.config.Has(kFloating)) {
    work->integers.resize(work->values.size());
  }
  work->job = std::make_unique<TensorBakeJob>(resolved.config, work->dims, work->values,
                                              absl::MakeSpan(work->integers));
  if (!check_now) work->job->CheckEachChunk();
  return work;
}

// A DYNAMIC scale and offset, solved from the values, must dequantize the whole
// quantized range to finite float32, as ConfigResolver requires of stated ones.
absl::Status CheckSolvedScales(const std::vector<std::unique_ptr<BakeWork>>& work) {
  for (const auto& w : work) {
    const TensorQuantConfig& config = w->job->config();
    if (!config.Has(kDynamic)) continue;
    const std::optional<DequantizeOverflow> overflow = FindDequantizeOverflow(config);
    if (!overflow) continue;
    return ParameterValueError(
        w->spec->operation, w->spec->variable,
        absl::StrCat("the DYNAMIC scale solved from the parameter's values: ",
                     DequantizeOverflowText(config, *overflow),
                     "; every baked value must be a finite float32"));
  }
  return absl::OkStatus();
}

// Solves every DYNAMIC parameter and checks its scales, then bakes the prepared
// parameters in batches, reporting progress after each and stopping before the next
// one once the bake is cancelled.
absl::Status BakeInBatches(const std::vector<std::unique_ptr<BakeWork>>& work, ThreadPool* pool,
                           const BakeOptions& options) {
  std::vector<TensorBakeJob*> jobs;
  for (const auto& w : work) jobs.push_back(w->job.get());
  SolveDynamicJobs(jobs, pool);
  if (absl::Status solved = CheckSolvedScales(work); !solved.ok()) return solved;
  int64_t total = 0;
  for (const auto& w : work) total += w->bytes;
  int64_t done = 0;
  for (size_t begin = 0; begin < work.size();) {
    if (options.cancelled && options.cancelled()) {
      return absl::CancelledError("the bake was cancelled");
    }
    std::vector<TensorBakeJob*> batch;
    int64_t batch_bytes = 0;
    size_t end = begin;
    for (; end < work.size() && (batch.empty() || batch_bytes < kProgressBatchBytes); ++end) {
      batch.push_back(work[end]->job.get());
      batch_bytes += work[end]->bytes;
    }
    BakeJobs(batch, pool);
    done += batch_bytes;
    if (options.progress) options.progress(done, total);
    begin = end;
  }
  return absl::OkStatus();
}

// Finishes every job. A value checked while baking that is not finite is an error,
// and so is a baked value that is not finite: the checks of the scales before
// baking leave none, and this one keeps it so.
absl::Status FinishJobs(const std::vector<std::unique_ptr<BakeWork>>& work) {
  for (const auto& w : work) {
    const int64_t input = w->job->FirstNonFiniteInput();
    if (input >= 0) return NonFiniteValueError(*w->spec, w->values[input], input);
    w->result = w->job->Finish();
    const int64_t bad = w->result.first_non_finite;
    if (bad < 0) continue;
    return ParameterValueError(w->spec->operation, w->spec->variable,
                               absl::StrCat("baking gives ", w->values[bad], " at flat index ", bad,
                                            "; every baked value must be a finite float32"));
  }
  return absl::OkStatus();
}

ParameterSummary Summarize(const BakeWork& work, const TensorBakeResult& result) {
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

}  // namespace

BakeSession::BakeSession(ThreadPool* pool, BakeOptions options)
    : pool_(pool), options_(std::move(options)) {}

BakeSession::~BakeSession() = default;

absl::Status BakeSession::Prepare(onnx::ModelProto* model,
                                  absl::Span<const TensorConfigSpec> specs) {
  start_ = absl::Now();
  specs_ = specs;
  integers_.clear();
  pending_.clear();
  parameters_.clear();
  summary_order_.clear();
  outcome_ = BakeOutcome();
  graph_ = std::make_unique<GraphIndex>(model->mutable_graph());
  absl::StatusOr<std::vector<ResolvedConfig>> resolved =
      ConfigResolver(graph_.get(), options_.default_rounding).Resolve(specs);
  if (!resolved.ok()) return resolved.status();
  resolved_ = *std::move(resolved);
  outcome_.configs.resize(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) outcome_.configs[i].state_after = specs[i].state;
  outcome_.summary.configs = static_cast<int64_t>(specs.size());
  absl::flat_hash_set<absl::string_view> listed;
  for (const ResolvedConfig& r : resolved_) {
    if (!listed.insert(r.parameter->name).second) continue;
    pending_.push_back(r.parameter->name);
    parameters_.push_back({r.parameter->name, r.parameter->tensor, IntegerTypeOf(r.config)});
  }
  return absl::OkStatus();
}

absl::Status BakeSession::BakeParameter(absl::string_view name) {
  const auto found = std::find(pending_.begin(), pending_.end(), name);
  if (found == pending_.end()) {
    return absl::FailedPreconditionError(absl::StrCat("'", name, "' is not pending a bake"));
  }
  std::vector<std::unique_ptr<BakeWork>> work;
  for (const ResolvedConfig& r : resolved_) {
    if (r.parameter->name != name) continue;
    absl::StatusOr<std::unique_ptr<BakeWork>> prepared =
        PrepareBakeWork(r, specs_[r.spec_index], options_.want_integers, /*in_place=*/true,
                        FiniteCheck::kWhileBaking, pool_);
    if (!prepared.ok()) return prepared.status();
    work.push_back(*std::move(prepared));
  }
  absl::Status baked = BakeInBatches(work, pool_, options_);
  if (baked.ok()) baked = FinishJobs(work);
  if (!baked.ok()) return baked;
  for (auto& w : work) Record(w.get());
  pending_.erase(found);
  return absl::OkStatus();
}

void BakeSession::Record(BakeWork* work) {
  const TensorBakeResult& result = work->result;
  if (!work->copy.empty()) WriteParameterValues(work->values, work->resolved->parameter->tensor);
  ConfigOutcome& config = outcome_.configs[work->resolved->spec_index];
  config.state_after = BakedState(work->spec->state);
  config.baked = true;
  config.scale = result.scale;
  config.offset = result.offset;
  config.scale_derived = work->resolved->scale_derived || work->resolved->config.Has(kDynamic);
  outcome_.summary.parameters.push_back(Summarize(*work, result));
  summary_order_.push_back(work->resolved->spec_index);
  outcome_.summary.bytes += work->bytes;
  if (!work->integers.empty()) integers_[work->spec->variable] = std::move(work->integers);
}

BakeOutcome BakeSession::Finish() {
  BakeSummary& summary = outcome_.summary;
  std::vector<size_t> order(summary.parameters.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return summary_order_[a] < summary_order_[b]; });
  std::vector<ParameterSummary> parameters;
  for (size_t i : order) parameters.push_back(std::move(summary.parameters[i]));
  summary.parameters = std::move(parameters);
  for (const ConfigOutcome& config : outcome_.configs) {
    if (config.state_after == QuantState::kBaked) {
      ++summary.baked;
    } else if (config.baked) {
      ++summary.passive_baked;
    } else {
      ++summary.unchanged;
    }
  }
  summary.bake_seconds = absl::ToDoubleSeconds(absl::Now() - start_);
  return std::move(outcome_);
}

std::vector<int32_t> BakeSession::TakeIntegers(const std::string& name) {
  auto found = integers_.find(name);
  if (found == integers_.end()) return {};
  std::vector<int32_t> values = std::move(found->second);
  integers_.erase(found);
  return values;
}

absl::StatusOr<BakeOutcome> BakeSession::Run(onnx::ModelProto* model,
                                             absl::Span<const TensorConfigSpec> specs) {
  absl::Status prepared = Prepare(model, specs);
  if (!prepared.ok()) return prepared;
  // Every error is found before the first bake, so only a cancellation could stop
  // a bake midway: without one, float32 raw_data bakes where it lies.
  const bool in_place = !options_.cancelled;
  std::vector<std::unique_ptr<BakeWork>> work;
  for (const ResolvedConfig& r : resolved_) {
    absl::StatusOr<std::unique_ptr<BakeWork>> w =
        PrepareBakeWork(r, specs[r.spec_index], options_.want_integers, in_place,
                        FiniteCheck::kBeforeBaking, pool_);
    if (!w.ok()) return w.status();
    work.push_back(*std::move(w));
  }
  absl::Status baked = BakeInBatches(work, pool_, options_);
  if (baked.ok()) baked = FinishJobs(work);
  if (!baked.ok()) return baked;
  for (auto& w : work) Record(w.get());
  pending_.clear();
  return Finish();
}

}  // namespace qbake
