#include "cli/staged_bake.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "client/tensor_store.h"
#include "core/config_resolver.h"
#include "core/graph_index.h"
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

using TensorSet = absl::flat_hash_set<const onnx::TensorProto*>;

// The tensors of a ModelFile whose bytes lie in its files, by tensor: every external
// one and every inline one (left out of the model as read or not).
struct FileTensors {
  explicit FileTensors(ModelFile* file) {
    for (ExternalTensor& tensor : file->external) external[tensor.tensor] = &tensor;
    for (const InlineTensor& tensor : file->inline_data) inline_data[tensor.tensor] = &tensor;
  }

  // True when every tensor of `tensors` is one of them: its bytes are rewritten in
  // place.
  bool HoldAll(const TensorSet& tensors) const {
    for (const onnx::TensorProto* tensor : tensors) {
      if (!external.contains(tensor) && !inline_data.contains(tensor)) return false;
    }
    return true;
  }

  absl::flat_hash_map<const onnx::TensorProto*, ExternalTensor*> external;
  absl::flat_hash_map<const onnx::TensorProto*, const InlineTensor*> inline_data;
};

// Begins the stage of `file` at `path` with the bytes of the `baked` tensors left to write.
absl::StatusOr<ModelFileStage> BeginStage(const ModelFile& file, const TensorSet& baked,
                                          const std::filesystem::path& path,
                                          StagedOutputs* outputs) {
  return ModelFileStage::Begin(file, path, outputs, [&baked](const onnx::TensorProto& tensor) {
    return baked.contains(&tensor);
  });
}

// The tensors of a ModelFile whose bytes a remote bake sends from their files and
// whose baked bytes it writes into their staged files: the external ones and the
// inline ones left out of the model as read.
class StagedFileStore final : public TensorStore {
 public:
  StagedFileStore(const ModelFile& file, const FileTensors& tensors, const ModelFileStage& stage)
      : file_(file), tensors_(tensors), stage_(stage) {}

  std::optional<uint64_t> Size(const onnx::TensorProto& tensor) const override {
    if (const ExternalTensor* external = External(tensor)) return external->length;
    if (const InlineTensor* left_out = LeftOut(tensor)) return left_out->length;
    return std::nullopt;
  }

  absl::Status Read(const onnx::TensorProto& tensor, uint64_t offset,
                    absl::Span<char> into) const override {
    if (const ExternalTensor* external = External(tensor)) {
      return ReadSlice(*external, static_cast<int64_t>(offset), into);
    }
    return ReadSlice(file_, *LeftOut(tensor), static_cast<int64_t>(offset), into);
  }

  absl::Status Write(const onnx::TensorProto& tensor, uint64_t offset,
                     absl::string_view bytes) const override {
    if (const ExternalTensor* external = External(tensor)) {
      return stage_.WriteSlice(*external, static_cast<int64_t>(offset), bytes);
    }
    return stage_.WriteSlice(*LeftOut(tensor), static_cast<int64_t>(offset), bytes);
  }

 private:
  const ExternalTensor* External(const onnx::TensorProto& tensor) const {
    const auto found = tensors_.external.find(&tensor);
    return found == tensors_.external.end() ? nullptr : found->second;
  }
  const InlineTensor* LeftOut(const onnx::TensorProto& tensor) const {
    const auto found = tensors_.inline_data.find(&tensor);
    if (found == tensors_.inline_data.end() || !found->second->unloaded) return nullptr;
    return found->second;
  }

  const ModelFile& file_;
  const FileTensors& tensors_;
  const ModelFileStage& stage_;
};

// Bakes the parameters one after another, each whose bytes were left in its file
// loaded into one reused buffer, and each written into `stage` once baked.
class ParameterLoop {
 public:
  ParameterLoop(const ModelFile* file, const FileTensors* tensors, BakeSession* session,
                const ModelFileStage* stage, BakeTimings* timings)
      : file_(file), tensors_(tensors), session_(session), stage_(stage), timings_(timings) {}

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
    const auto external = tensors_->external.find(parameter.tensor);
    if (external != tensors_->external.end()) {
      return BakeLoaded(
          parameter, [&] { return LoadExternalTensor(external->second, std::move(buffer_)); },
          [&] { return stage_->Write(*external->second); },
          [&] { buffer_ = UnloadExternalTensor(external->second); });
    }
    const InlineTensor& tensor = *tensors_->inline_data.at(parameter.tensor);
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

  const ModelFile* file_;
  const FileTensors* tensors_;
  BakeSession* session_;
  const ModelFileStage* stage_;
  BakeTimings* timings_;
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
  TensorSet baked;
  for (const PendingParameter& parameter : session.parameters()) baked.insert(parameter.tensor);
  const FileTensors tensors(file);
  if (!tensors.HoldAll(baked)) return std::nullopt;
  absl::StatusOr<ModelFileStage> stage = BeginStage(*file, baked, path, outputs);
  clock.AddTo(&timings->write_s);
  if (!stage.ok()) return stage.status();
  ParameterLoop loop(file, &tensors, &session, &*stage, timings);
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

absl::StatusOr<std::optional<BakeOutcome>> BakeRemotelyIntoStage(
    ModelFile* file, absl::Span<const TensorConfigSpec> specs, const BakeOptions& options,
    RemoteModelBaker* baker, const std::filesystem::path& path, StagedOutputs* outputs,
    BakeTimings* timings) {
  PhaseClock clock;
  GraphIndex graph(file->model->mutable_graph());
  absl::StatusOr<std::vector<ResolvedConfig>> resolved =
      ConfigResolver(&graph, options.default_rounding).Resolve(specs);
  if (!resolved.ok()) return std::nullopt;  // the server's answer names the config
  TensorSet baked;
  for (const ResolvedConfig& config : *resolved) baked.insert(config.parameter->tensor);
  const FileTensors tensors(file);
  if (!tensors.HoldAll(baked)) return std::nullopt;
  absl::StatusOr<ModelFileStage> stage = BeginStage(*file, baked, path, outputs);
  clock.AddTo(&timings->write_s);
  if (!stage.ok()) return stage.status();
  const StagedFileStore store(*file, tensors, *stage);
  absl::StatusOr<BakeOutcome> outcome = baker->BakeStored(file->model.get(), store, specs, options);
  clock.AddTo(&timings->bake_s);
  if (!outcome.ok()) return outcome.status();
  absl::Status written = absl::OkStatus();
  for (const InlineTensor& tensor : file->inline_data) {
    if (written.ok() && !tensor.unloaded && baked.contains(tensor.tensor)) {
      written = stage->Write(tensor);
    }
  }
  if (written.ok()) written = stage->Finish(*file->model);
  clock.AddTo(&timings->write_s);
  if (!written.ok()) return written;
  return std::optional<BakeOutcome>(*std::move(outcome));
}

}  // namespace qbake
