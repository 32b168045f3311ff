#include "cli/staged_bake.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "core/parameter_values.h"

namespace qbake {
namespace {

// Adds the seconds since the previous call (or construction) to a timing.
class PhaseClock {
 public:
  void AddTo(double* seconds) {
    const absl::Time now = absl::Now();
    *seconds += absl::ToDoubleSeconds(now - last_);
    last_ = now;
  }

 private:
  absl::Time last_ = absl::Now();
};

// The bytes a bake of `tensor` counts (as the summary does); 0 when its dims do not
// count its values (its bake fails).
int64_t ParameterBytes(const onnx::TensorProto& tensor) {
  const absl::StatusOr<int64_t> count = ElementCount(tensor);
  if (!count.ok()) return 0;
  return *count * BakeableElementBytes(tensor.data_type());
}

// True when the bytes of every parameter `session` bakes lie in a file of `file`,
// where they are rewritten in place.
bool ParametersInFiles(const ModelFile& file, const BakeSession& session) {
  absl::flat_hash_set<const onnx::TensorProto*> in_files;
  for (const ExternalTensor& external : file.external) in_files.insert(external.tensor);
  for (const InlineTensor& tensor : file.inline_data) in_files.insert(tensor.tensor);
  for (const PendingParameter& parameter : session.parameters()) {
    if (!in_files.contains(parameter.tensor)) return false;
  }
  return true;
}

// Bakes the parameters one after another, each whose bytes were left in its file
// loaded into one reused buffer, and each written into `stage` once baked.
class ParameterLoop {
 public:
  ParameterLoop(ModelFile* file, BakeSession* session, const ModelFileStage* stage,
                BakeTimings* timings)
      : file_(file), session_(session), stage_(stage), timings_(timings) {
    for (ExternalTensor& external : file->external) external_[external.tensor] = &external;
    for (const InlineTensor& tensor : file->inline_data) inline_[tensor.tensor] = &tensor;
  }

  absl::Status Run(const BakeOptions& options) {
    int64_t total = 0;
    for (const PendingParameter& parameter : session_->parameters()) {
      total += ParameterBytes(*parameter.tensor);
    }
    int64_t done = 0;
    for (const PendingParameter& parameter : session_->parameters()) {
      absl::Status baked = BakeOne(parameter);
      if (!baked.ok()) return baked;
      done += ParameterBytes(*parameter.tensor);
      if (options.progress) options.progress(done, total);
    }
    return absl::OkStatus();
  }

 private:
  absl::Status BakeOne(const PendingParameter& parameter) {
    const auto external = external_.find(parameter.tensor);
    if (external != external_.end()) {
      return BakeLoaded(
          parameter, [&] { return LoadExternalTensor(external->second, std::move(buffer_)); },
          [&] { return stage_->Write(*external->second); },
          [&] { buffer_ = UnloadExternalTensor(external->second); });
    }
    const InlineTensor& tensor = *inline_.at(parameter.tensor);
    if (!tensor.unloaded) {
      return BakeLoaded(
          parameter, [] { return absl::OkStatus(); }, [&] { return stage_->Write(tensor); }, [] {});
    }
    return BakeLoaded(
        parameter, [&] { return LoadInlineTensor(*file_, tensor, std::move(buffer_)); },
        [&] { return stage_->Write(tensor); }, [&] { buffer_ = UnloadInlineTensor(tensor); });
  }

  // Loads the parameter's bytes, bakes them and writes them, then unloads them.
  template <typename LoadFn, typename WriteFn, typename UnloadFn>
  absl::Status BakeLoaded(const PendingParameter& parameter, const LoadFn& load,
                          const WriteFn& write, const UnloadFn& unload) {
    absl::Status status = load();
    clock_.AddTo(&timings_->read_s);
    if (!status.ok()) return status;
    status = session_->BakeParameter(parameter.name);
    clock_.AddTo(&timings_->bake_s);
    if (status.ok()) status = write();
    unload();
    clock_.AddTo(&timings_->write_s);
    return status;
  }

  ModelFile* file_;
  BakeSession* session_;
  const ModelFileStage* stage_;
  BakeTimings* timings_;
  absl::flat_hash_map<const onnx::TensorProto*, ExternalTensor*> external_;
  absl::flat_hash_map<const onnx::TensorProto*, const InlineTensor*> inline_;
  std::string buffer_;
  PhaseClock clock_;
};

}  // namespace

absl::StatusOr<std::optional<BakeOutcome>> BakeIntoStage(
    ModelFile* file, absl::Span<const TensorConfigSpec> specs, const BakeOptions& options,
    ThreadPool* pool, const std::filesystem::path& path, StagedOutputs* outputs,
    BakeTimings* timings) {
  PhaseClock clock;
  BakeOptions session_options = options;
  session_options.progress = nullptr;
  BakeSession session(pool, session_options);
  absl::Status prepared = session.Prepare(file->model.get(), specs);
  clock.AddTo(&timings->bake_s);
  if (!prepared.ok()) return prepared;
  if (!ParametersInFiles(*file, session)) return std::nullopt;
  absl::flat_hash_set<const onnx::TensorProto*> baked;
  for (const PendingParameter& parameter : session.parameters()) baked.insert(parameter.tensor);
  absl::StatusOr<ModelFileStage> stage = ModelFileStage::Begin(
      *file, path, outputs,
      [&baked](const onnx::TensorProto& tensor) { return baked.contains(&tensor); });
  clock.AddTo(&timings->write_s);
  if (!stage.ok()) return stage.status();
  ParameterLoop loop(file, &session, &*stage, timings);
  absl::Status looped = loop.Run(options);
  if (!looped.ok()) return looped;
  clock = PhaseClock();
  absl::Status finished = stage->Finish(*file->model);
  clock.AddTo(&timings->write_s);
  if (!finished.ok()) return finished;
  absl::StatusOr<BakeOutcome> outcome = session.Finish();
  if (!outcome.ok()) return outcome.status();
  return std::optional<BakeOutcome>(*std::move(outcome));
}

}  // namespace qbake
