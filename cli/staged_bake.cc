#include "cli/staged_bake.h"

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "client/memory_headroom.h"
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

  // The tensor's place among them, or nullptr.
  ExternalTensor* External(const onnx::TensorProto* tensor) const {
    const auto found = external.find(tensor);
    return found == external.end() ? nullptr : found->second;
  }
  const InlineTensor* Inline(const onnx::TensorProto* tensor) const {
    const auto found = inline_data.find(tensor);
    return found == inline_data.end() ? nullptr : found->second;
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
    return tensors_.External(&tensor);
  }
  const InlineTensor* LeftOut(const onnx::TensorProto& tensor) const {
    const InlineTensor* inline_tensor = tensors_.Inline(&tensor);
    return inline_tensor != nullptr && inline_tensor->unloaded ? inline_tensor : nullptr;
  }

  const ModelFile& file_;
  const FileTensors& tensors_;
  const ModelFileStage& stage_;
};

// A task on a thread of its own (StartThread). Wait returns its status; the
// destructor waits too, since the task uses what its owner holds.
class BackgroundTask {
 public:
  explicit BackgroundTask(std::function<absl::Status()> task)
      : thread_(StartThread([this, task = std::move(task)] { status_ = task(); })) {}
  BackgroundTask(const BackgroundTask&) = delete;
  BackgroundTask& operator=(const BackgroundTask&) = delete;
  ~BackgroundTask() {
    if (thread_.joinable()) thread_.join();
  }

  absl::Status Wait() {
    if (thread_.joinable()) thread_.join();
    return status_;
  }

 private:
  absl::Status status_;  // set by the thread, read once it has ended
  std::thread thread_;
};

// One parameter's bytes where they lie in the input's files: an external tensor,
// or an inline one, left out of the model as read (loaded to bake) or not.
class StoredParameter {
 public:
  StoredParameter(const ModelFile* file, const FileTensors& tensors,
                  const onnx::TensorProto* tensor)
      : file_(file), external_(tensors.External(tensor)) {
    if (external_ == nullptr) inline_ = tensors.Inline(tensor);
  }

  // The bytes Read reads: 0 for an inline tensor read with the model.
  int64_t read_bytes() const {
    if (external_ != nullptr) return external_->length;
    return inline_->unloaded ? inline_->length : 0;
  }

  // Reads its bytes into *buffer (ReadTensorBytes); touches no tensor.
  absl::Status Read(std::string* buffer) const {
    if (external_ != nullptr) return ReadTensorBytes(*external_, buffer);
    return inline_->unloaded ? ReadTensorBytes(*file_, *inline_, buffer) : absl::OkStatus();
  }
  void Load(std::string bytes) {
    if (external_ != nullptr) {
      LoadExternalTensor(external_, std::move(bytes));
    } else if (inline_->unloaded) {
      LoadInlineTensor(*inline_, std::move(bytes));
    }
  }
  // Writes the loaded bytes over its range of its staged file; reads the tensor
  // only, so another thread may write while another parameter bakes.
  absl::Status Write(const ModelFileStage& stage) const {
    return external_ != nullptr ? stage.Write(*external_) : stage.Write(*inline_);
  }
  // Its bytes, taken back out of the model (none for an inline tensor read with it).
  std::string Unload() {
    if (external_ != nullptr) return UnloadExternalTensor(external_);
    return inline_->unloaded ? UnloadInlineTensor(*inline_) : std::string();
  }

 private:
  const ModelFile* file_;
  ExternalTensor* external_ = nullptr;
  const InlineTensor* inline_ = nullptr;
};

// Parameters of this many bytes or more are read ahead and written behind: for
// smaller ones a thread costs more than the overlap saves.
constexpr int64_t kOverlapMinBytes = int64_t{1} << 20;
// Nor are larger ones: the parameter read ahead and the one written behind hold at
// most twice this besides the one that bakes (memory holds 256 MiB plus the
// largest parameter at most).
constexpr int64_t kOverlapMaxBytes = int64_t{64} << 20;

// Buffers of at most kOverlapMaxBytes kept for reuse (ParameterLoop::Recycle).
constexpr size_t kMaxSpares = 2;

bool Overlapped(const StoredParameter& parameter) {
  const int64_t bytes = parameter.read_bytes();
  return bytes >= kOverlapMinBytes && bytes <= kOverlapMaxBytes;
}

// Bakes the parameters one after another, each loaded from its file, baked
// (BakeSession::BakeParameter) and written into `stage`. The next parameter's bytes
// are read on a thread of their own while one bakes, and the baked one is written
// on another while the next bakes (Overlapped parameters); buffers are reused. The
// first error in parameter order is the loop's: a later one found first waits for
// the earlier work in flight.
class ParameterLoop {
 public:
  ParameterLoop(const ModelFile* file, const FileTensors& tensors, BakeSession* session,
                const ModelFileStage* stage, BakeTimings* timings)
      : session_(session), stage_(stage), timings_(timings) {
    for (const PendingParameter& parameter : session_->parameters()) {
      stored_.emplace_back(file, tensors, parameter.tensor);
    }
  }

  absl::Status Run(const BakeOptions& options) {
    const std::vector<PendingParameter>& parameters = session_->parameters();
    int64_t total = 0;
    for (const PendingParameter& parameter : parameters) total += ParameterBytes(*parameter.tensor);
    int64_t done = 0;
    for (size_t i = 0; i < parameters.size(); ++i) {
      absl::Status baked = BakeAt(i);
      if (!baked.ok()) return Failed(baked);
      done += ParameterBytes(*parameters[i].tensor);
      if (options.progress) options.progress(done, total);
    }
    absl::Status written = FinishWriting();
    clock_.AddTo(&timings_->write_s);
    return written;
  }

 private:
  // Loads parameter i (read ahead, or read now), reads the next one ahead, bakes i,
  // then writes it (behind, or now) once the previous one is written.
  absl::Status BakeAt(size_t i) {
    StoredParameter& parameter = stored_[i];
    absl::Status status = absl::OkStatus();
    if (reading_.has_value()) {
      status = reading_->Wait();
      reading_.reset();
    } else {
      read_bytes_ = SpareBuffer(parameter.read_bytes());
      status = parameter.Read(&read_bytes_);
    }
    clock_.AddTo(&timings_->read_s);
    if (!status.ok()) return status;
    parameter.Load(std::move(read_bytes_));
    if (i + 1 < stored_.size() && Overlapped(stored_[i + 1])) {
      const StoredParameter* next = &stored_[i + 1];
      read_bytes_ = SpareBuffer(next->read_bytes());
      reading_.emplace([this, next] { return next->Read(&read_bytes_); });
    }
    status = session_->BakeParameter(session_->parameters()[i].name);
    clock_.AddTo(&timings_->bake_s);
    absl::Status written = FinishWriting();
    if (status.ok()) status = written;
    if (!status.ok()) {
      Recycle(parameter.Unload());
      clock_.AddTo(&timings_->write_s);
      return status;
    }
    if (Overlapped(parameter)) {
      writing_.emplace([this, &parameter] { return parameter.Write(*stage_); });
      written_ = &parameter;
    } else {
      status = parameter.Write(*stage_);
      Recycle(parameter.Unload());
    }
    clock_.AddTo(&timings_->write_s);
    return status;
  }

  // Waits for the parameter written behind, if any, and takes its buffer back.
  absl::Status FinishWriting() {
    if (!writing_.has_value()) return absl::OkStatus();
    absl::Status written = writing_->Wait();
    writing_.reset();
    Recycle(written_->Unload());
    return written;
  }

  // Ends the loop on `status`, once the work in flight is done: the write of an
  // earlier parameter that failed is the error then.
  absl::Status Failed(absl::Status status) {
    absl::Status written = FinishWriting();
    if (reading_.has_value()) reading_->Wait().IgnoreError();
    reading_.reset();
    return written.ok() ? status : written;
  }

  // A buffer to read `bytes` into. Those of 1 to 64 MiB (kOverlapMinBytes to
  // kOverlapMaxBytes) come from, and go back to, the spares; larger ones from the
  // one large spare: one such parameter is in memory at a time, so at most one
  // buffer ever grows larger. Smaller ones are not worth keeping. Two spares are
  // enough: three buffers are in use at most (read ahead, baking, written behind).
  std::string SpareBuffer(int64_t bytes) {
    std::string buffer;
    if (bytes > kOverlapMaxBytes) {
      buffer.swap(large_spare_);
    } else if (bytes >= kOverlapMinBytes && !spare_.empty()) {
      buffer = std::move(spare_.back());
      spare_.pop_back();
    }
    return buffer;
  }
  void Recycle(std::string buffer) {
    if (buffer.capacity() > static_cast<size_t>(kOverlapMaxBytes)) {
      large_spare_ = std::move(buffer);
    } else if (buffer.capacity() >= static_cast<size_t>(kOverlapMinBytes) &&
               spare_.size() < kMaxSpares) {
      spare_.push_back(std::move(buffer));
    }
  }

  BakeSession* session_;
  const ModelFileStage* stage_;
  BakeTimings* timings_;
  PhaseClock clock_;
  std::vector<StoredParameter> stored_;  // in session_->parameters() order
  std::vector<std::string> spare_;       // buffers of 1 to 64 MiB to read into
  std::string large_spare_;              // the one buffer that grew larger
  std::string read_bytes_;               // the bytes read (ahead) for the next load
  StoredParameter* written_ = nullptr;   // the parameter writing_ writes
  // Last, so that they end first: their threads use the members above.
  std::optional<BackgroundTask> reading_;
  std::optional<BackgroundTask> writing_;
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
  ParameterLoop loop(file, tensors, &session, &*stage, timings);
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
