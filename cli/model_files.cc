#include "cli/model_files.h"

#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <system_error>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/model_skeleton.h"
#include "common/beneath_folder.h"
#include "common/file_error.h"
#include "common/regular_file_stream.h"
#include "common/status_util.h"
#include "core/external_data_info.h"
#include "core/huge_pages.h"
#include "core/model_tensors.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"

namespace qbake {
namespace {

namespace fs = std::filesystem;

// The block by which a model file is read and parsed, or serialized and written.
constexpr int kIoBlockBytes = 1 << 20;

// The location as the staged data files are keyed: two spellings of one place agree.
std::string NormalLocation(const ExternalTensor& external) {
  return fs::path(external.location).lexically_normal().string();
}

std::string ExternalContext(const ExternalTensor& external) {
  return absl::StrCat(external.label, ", external data '", external.location, "'");
}

// Sizes `buffer` to `length` bytes, reusing its storage when it holds them (fresh
// storage goes on huge pages), and returns them.
absl::Span<char> SizedBuffer(int64_t length, std::string* buffer) {
  const auto size = static_cast<size_t>(length);
  if (buffer->capacity() < size) {
    *buffer = std::string();
    ReserveOnHugePages(buffer, size);
  }
  buffer->resize(size);
  return absl::MakeSpan(buffer->data(), buffer->size());
}

// The data files of one model, each opened once (by its normalized location) and
// known by identity: two locations that lead to one file share it.
class DataFiles {
 public:
  explicit DataFiles(fs::path folder) : folder_(std::move(folder)) {}

  absl::StatusOr<std::shared_ptr<const RegularFile>> Open(const std::string& location) {
    const std::string key = fs::path(location).lexically_normal().string();
    const auto known = by_location_.find(key);
    if (known != by_location_.end()) return known->second;
    absl::StatusOr<RegularFile> opened = RegularFile::OpenBeneath(folder_, location);
    if (!opened.ok()) return opened.status();
    std::shared_ptr<const RegularFile>& file = by_identity_[opened->identity()];
    if (file == nullptr) file = std::make_shared<const RegularFile>(*std::move(opened));
    by_location_[key] = file;
    return file;
  }

 private:
  fs::path folder_;
  std::map<std::string, std::shared_ptr<const RegularFile>> by_location_;
  std::map<FileIdentity, std::shared_ptr<const RegularFile>> by_identity_;
};

absl::StatusOr<ExternalTensor> LocateExternal(const OwnedTensor& owned, DataFiles* files) {
  ExternalTensor external;
  external.tensor = owned.tensor;
  external.label = TensorLabel(owned);
  absl::StatusOr<ExternalDataInfo> entries = ReadExternalDataInfo(*owned.tensor);
  if (!entries.ok()) return Annotate(entries.status(), external.label);
  external.location = entries->location;
  absl::StatusOr<std::shared_ptr<const RegularFile>> source = files->Open(external.location);
  if (!source.ok()) return Annotate(source.status(), ExternalContext(external));
  absl::StatusOr<int64_t> length = (*source)->RangeLength(entries->offset, entries->length);
  if (!length.ok()) return Annotate(length.status(), ExternalContext(external));
  external.source = *std::move(source);
  external.offset = entries->offset;
  external.length = *length;
  return external;
}

// Checks that [at, at + size) lies within a tensor's `length` bytes.
absl::Status CheckWithin(int64_t at, size_t size, int64_t length) {
  if (at >= 0 && at <= length && size <= static_cast<uint64_t>(length - at)) {
    return absl::OkStatus();
  }
  return absl::InternalError(
      absl::StrCat(size, " bytes at ", at, " run past its ", length, " bytes"));
}

// Writes `bytes` at `at` of the range [offset, offset + length) of `fd` (the staged
// `path`); `context` names the tensor.
absl::Status WriteRange(const std::string& context, int64_t offset, int64_t length, int64_t at,
                        absl::string_view bytes, int fd, const fs::path& path) {
  absl::Status within = CheckWithin(at, bytes.size(), length);
  if (!within.ok()) return Annotate(within, context);
  return WriteAt(fd, bytes, offset + at, path);
}

// Reads into `into` from `at` of the range [offset, offset + length) of `source`;
// `context` names the tensor. WriteRange's twin.
absl::Status ReadRange(const RegularFile& source, const std::string& context, int64_t offset,
                       int64_t length, int64_t at, absl::Span<char> into) {
  absl::Status read = CheckWithin(at, into.size(), length);
  if (read.ok()) read = source.ReadInto(offset + at, into);
  return read.ok() ? read : Annotate(read, context);
}

// `tensor`'s raw_data, whose size must be `length`; `context` names the tensor.
absl::StatusOr<absl::string_view> WholeRawData(const onnx::TensorProto& tensor,
                                               const std::string& context, int64_t length) {
  const std::string& bytes = tensor.raw_data();
  if (static_cast<int64_t>(bytes.size()) != length) {
    return absl::InternalError(
        absl::StrCat(context, ": holds ", bytes.size(), " bytes, its range ", length));
  }
  return bytes;
}

// Adds the range [offset, offset + length) of `tensor` (an InlineTensor or an
// ExternalTensor) to `ranges` when `rewritten` picks it.
template <typename Tensor>
void AddRange(const Tensor& tensor, const std::function<bool(const onnx::TensorProto&)>& rewritten,
              std::vector<std::pair<int64_t, int64_t>>* ranges) {
  if (rewritten(*tensor.tensor)) ranges->emplace_back(tensor.offset, tensor.offset + tensor.length);
}

// Copies the bytes of `source` (from its open descriptor) outside `written`, each
// range [begin, end) of it, to the same offsets of `fd`; those are written later.
absl::Status CopyUnwritten(const RegularFile& source,
                           std::vector<std::pair<int64_t, int64_t>> written, int fd,
                           const fs::path& destination) {
  std::sort(written.begin(), written.end());
  written.emplace_back(source.size(), source.size());
  off_t offset = 0;
  for (const auto& [begin, end] : written) {
    if (begin > offset && lseek(fd, offset, SEEK_SET) < 0) {
      return FileError("seek in", destination, errno);
    }
    while (offset < begin) {
      const ssize_t sent = sendfile(fd, source.fd(), &offset, static_cast<size_t>(begin - offset));
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0) {
        return FileError(absl::StrCat("copy '", source.path().string(), "' to"), destination,
                         errno);
      }
      if (sent == 0) {
        return absl::FailedPreconditionError(absl::StrCat("cannot copy '", source.path().string(),
                                                          "': it shrank while being copied"));
      }
    }
    offset = std::max<off_t>(offset, end);
  }
  return absl::OkStatus();
}

// Stages `model` serialized straight into the temporary, through one buffer of
// kIoBlockBytes reused block after block: no copy of the whole model is made.
absl::Status StageMessage(const onnx::ModelProto& model, const fs::path& path,
                          StagedOutputs* outputs) {
  if (model.ByteSizeLong() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot serialize the model for '", path.string(),
        "' (a protobuf message is limited to 2 GiB; store large tensors as external data)"));
  }
  absl::StatusOr<int> fd = outputs->Stage(path);
  if (!fd.ok()) return fd.status();
  google::protobuf::io::FileOutputStream file(*fd, kIoBlockBytes);
  const bool serialized = model.SerializeToZeroCopyStream(&file);
  const bool flushed = file.Flush();
  if (file.GetErrno() != 0) return FileError("write", path, file.GetErrno());
  if (!serialized || !flushed) {
    return absl::InternalError(
        absl::StrCat("cannot serialize the model for '", path.string(), "'"));
  }
  return absl::OkStatus();
}

// Stages `model` serialized with each of `external` (loaded tensors of it) external
// again, as its entries say.
absl::Status StageSerializedModel(const onnx::ModelProto& model,
                                  std::vector<ExternalTensor>* external, const fs::path& path,
                                  StagedOutputs* outputs) {
  std::vector<std::string> bytes;
  for (ExternalTensor& tensor : *external) bytes.push_back(UnloadExternalTensor(&tensor));
  absl::Status staged = StageMessage(model, path, outputs);
  for (size_t i = 0; i < bytes.size(); ++i)
    LoadExternalTensor(&(*external)[i], std::move(bytes[i]));
  return staged;
}

// Each tensor's bytes must be its own: baked, overlapping ranges would be written
// back over each other (and a tensor kept as it is would be changed by another's bake).
absl::Status CheckDisjointRanges(const std::vector<ExternalTensor>& external) {
  std::vector<const ExternalTensor*> sorted;
  for (const ExternalTensor& tensor : external) {
    if (tensor.length > 0) sorted.push_back(&tensor);
  }
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const ExternalTensor* a, const ExternalTensor* b) {
                     return std::make_pair(a->source->identity(), a->offset) <
                            std::make_pair(b->source->identity(), b->offset);
                   });
  const ExternalTensor* reaching = nullptr;  // of the current file, the range ending last
  for (const ExternalTensor* tensor : sorted) {
    if (reaching != nullptr && reaching->source == tensor->source &&
        tensor->offset < reaching->offset + reaching->length) {
      return absl::InvalidArgumentError(
          absl::StrCat(ExternalContext(*tensor), ": bytes [", tensor->offset, ", ",
                       tensor->offset + tensor->length, ") overlap those of ", reaching->label,
                       " ([", reaching->offset, ", ", reaching->offset + reaching->length,
                       ")); each tensor needs bytes of its own"));
    }
    if (reaching == nullptr || reaching->source != tensor->source ||
        tensor->offset + tensor->length > reaching->offset + reaching->length) {
      reaching = tensor;
    }
  }
  return absl::OkStatus();
}

void ProtectInputs(const ModelFile& file, StagedOutputs* outputs) {
  outputs->ProtectInput(file.identity, "the input model");
  for (const ExternalTensor& external : file.external) {
    outputs->ProtectInput(
        external.source->identity(),
        absl::StrCat("the input data file '", external.source->path().string(), "'"));
  }
}

onnx::StringStringEntryProto Entry(const std::string& key, const std::string& value) {
  onnx::StringStringEntryProto entry;
  entry.set_key(key);
  entry.set_value(value);
  return entry;
}

// The tensor `span` names in `graph`; nullopt when there is none.
std::optional<OwnedTensor> SpannedTensor(onnx::GraphProto* graph, const InlineDataSpan& span) {
  const std::string owner = absl::StrCat("graph '", graph->name(), "'");
  if (span.initializer >= 0) {
    if (span.initializer >= graph->initializer_size()) return std::nullopt;
    return OwnedTensor{graph->mutable_initializer(span.initializer), owner};
  }
  if (span.node < 0 || span.node >= graph->node_size()) return std::nullopt;
  onnx::NodeProto* node = graph->mutable_node(span.node);
  if (span.attribute < 0 || span.attribute >= node->attribute_size()) return std::nullopt;
  onnx::AttributeProto* attribute = node->mutable_attribute(span.attribute);
  if (!attribute->has_t()) return std::nullopt;
  return OwnedTensor{attribute->mutable_t(), absl::StrCat("attribute '", attribute->name(),
                                                          "' of node '", node->name(), "'")};
}

// Parses `source`'s skeleton into `file` and locates its initializers' raw_data,
// keeping `source` open. Leaves `file` as it was when the skeleton is not walked or
// does not parse: the model is parsed whole then.
void LocateInlineData(const std::shared_ptr<const RegularFile>& source, ModelFile* file) {
  absl::StatusOr<ModelSkeleton> skeleton = ReadModelSkeleton(*source, kDataFileMinBytes);
  if (!skeleton.ok() || !file->model->ParseFromString(skeleton->bytes)) {
    file->model->Clear();
    return;
  }
  for (const InlineDataSpan& span : skeleton->spans) {
    const std::optional<OwnedTensor> owned = SpannedTensor(file->model->mutable_graph(), span);
    if (!owned) {
      file->inline_data.clear();
      file->model->Clear();
      return;
    }
    if (owned->tensor->data_location() == onnx::TensorProto::EXTERNAL) continue;
    file->inline_data.push_back(
        {owned->tensor, TensorLabel(*owned), span.offset, span.length, span.stripped});
  }
  file->source = source;
}

}  // namespace

absl::StatusOr<ModelFile> ReadModelFile(const fs::path& path, ExternalData loading) {
  absl::StatusOr<RegularFile> model_file = RegularFile::Open(path);
  if (!model_file.ok()) return Annotate(model_file.status(), "cannot read the model");
  ModelFile file{std::make_unique<onnx::ModelProto>(), {}, model_file->identity(), nullptr, {}};
  auto source = std::make_shared<const RegularFile>(*std::move(model_file));
  if (loading == ExternalData::kLocate) LocateInlineData(source, &file);
  if (file.source == nullptr) {
    RegularFileStream stream(source.get(), kIoBlockBytes);
    const bool parsed = file.model->ParseFromZeroCopyStream(&stream);
    if (!stream.status().ok()) return Annotate(stream.status(), "cannot read the model");
    if (!parsed) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", path.string(), "' is not an ONNX model (it does not parse as a ModelProto)"));
    }
  }
  DataFiles data_files(FolderOf(path));
  for (const OwnedTensor& owned : CollectModelTensors(file.model->mutable_graph())) {
    if (owned.tensor->data_location() != onnx::TensorProto::EXTERNAL) continue;
    absl::StatusOr<ExternalTensor> external = LocateExternal(owned, &data_files);
    if (!external.ok()) return external.status();
    file.external.push_back(std::move(*external));
    if (loading == ExternalData::kLocate) continue;
    std::string bytes;
    absl::Status read = ReadTensorBytes(file.external.back(), &bytes);
    if (!read.ok()) return read;
    LoadExternalTensor(&file.external.back(), std::move(bytes));
  }
  absl::Status disjoint = CheckDisjointRanges(file.external);
  if (!disjoint.ok()) return disjoint;
  return file;
}

absl::Status ReadSlice(const ExternalTensor& external, int64_t offset, absl::Span<char> into) {
  return ReadRange(*external.source, ExternalContext(external), external.offset, external.length,
                   offset, into);
}

absl::Status ReadSlice(const ModelFile& file, const InlineTensor& tensor, int64_t offset,
                       absl::Span<char> into) {
  return ReadRange(*file.source, absl::StrCat(tensor.label, ", raw_data"), tensor.offset,
                   tensor.length, offset, into);
}

absl::Status ReadTensorBytes(const ExternalTensor& external, std::string* buffer) {
  return ReadSlice(external, 0, SizedBuffer(external.length, buffer));
}

absl::Status ReadTensorBytes(const ModelFile& file, const InlineTensor& tensor,
                             std::string* buffer) {
  return ReadSlice(file, tensor, 0, SizedBuffer(tensor.length, buffer));
}

void LoadExternalTensor(ExternalTensor* external, std::string bytes) {
  external->tensor->set_raw_data(std::move(bytes));
  external->tensor->clear_data_location();
  external->entries.Swap(external->tensor->mutable_external_data());
}

std::string UnloadExternalTensor(ExternalTensor* external) {
  std::string bytes;
  bytes.swap(*external->tensor->mutable_raw_data());
  external->tensor->clear_raw_data();
  external->tensor->set_data_location(onnx::TensorProto::EXTERNAL);
  external->entries.Swap(external->tensor->mutable_external_data());
  return bytes;
}

void LoadInlineTensor(const InlineTensor& tensor, std::string bytes) {
  tensor.tensor->set_raw_data(std::move(bytes));
}

std::string UnloadInlineTensor(const InlineTensor& tensor) {
  std::string bytes;
  bytes.swap(*tensor.tensor->mutable_raw_data());
  tensor.tensor->clear_raw_data();
  return bytes;
}

absl::StatusOr<ModelFileStage> ModelFileStage::Begin(
    const ModelFile& file, const fs::path& path, StagedOutputs* outputs,
    const std::function<bool(const onnx::TensorProto&)>& rewritten) {
  ProtectInputs(file, outputs);
  ModelFileStage stage(path, outputs);
  if (file.source != nullptr) {
    absl::StatusOr<int> fd = outputs->Stage(path);
    if (!fd.ok()) return fd.status();
    std::vector<std::pair<int64_t, int64_t>> written;
    for (const InlineTensor& tensor : file.inline_data) AddRange(tensor, rewritten, &written);
    absl::Status copied = CopyUnwritten(*file.source, std::move(written), *fd, path);
    if (!copied.ok()) return copied;
    stage.model_fd_ = *fd;
  }
  std::map<std::string, std::vector<const ExternalTensor*>> by_location;
  for (const ExternalTensor& external : file.external) {
    by_location[NormalLocation(external)].push_back(&external);
  }
  for (const auto& [location, tensors] : by_location) {
    absl::StatusOr<int> fd = outputs->StageBeneath(FolderOf(path), location);
    if (!fd.ok()) return Annotate(fd.status(), ExternalContext(*tensors.front()));
    std::vector<std::pair<int64_t, int64_t>> written;
    for (const ExternalTensor* tensor : tensors) AddRange(*tensor, rewritten, &written);
    absl::Status copied =
        CopyUnwritten(*tensors.front()->source, std::move(written), *fd, FolderOf(path) / location);
    if (!copied.ok()) return copied;
    stage.data_files_[location] = *fd;
  }
  return stage;
}

absl::Status ModelFileStage::Write(const ExternalTensor& external) const {
  absl::StatusOr<absl::string_view> bytes =
      WholeRawData(*external.tensor, ExternalContext(external), external.length);
  return bytes.ok() ? WriteSlice(external, 0, *bytes) : bytes.status();
}

absl::Status ModelFileStage::Write(const InlineTensor& tensor) const {
  absl::StatusOr<absl::string_view> bytes =
      WholeRawData(*tensor.tensor, tensor.label, tensor.length);
  return bytes.ok() ? WriteSlice(tensor, 0, *bytes) : bytes.status();
}

absl::Status ModelFileStage::WriteSlice(const ExternalTensor& external, int64_t offset,
                                        absl::string_view bytes) const {
  const std::string location = NormalLocation(external);
  return WriteRange(ExternalContext(external), external.offset, external.length, offset, bytes,
                    data_files_.at(location), FolderOf(path_) / location);
}

absl::Status ModelFileStage::WriteSlice(const InlineTensor& tensor, int64_t offset,
                                        absl::string_view bytes) const {
  return WriteRange(tensor.label, tensor.offset, tensor.length, offset, bytes, model_fd_, path_);
}

absl::Status ModelFileStage::Finish(const onnx::ModelProto& model) const {
  if (model_fd_ >= 0) return absl::OkStatus();
  return StageMessage(model, path_, outputs_);
}

absl::Status StageModelFile(ModelFile* file, const fs::path& path, StagedOutputs* outputs) {
  absl::StatusOr<ModelFileStage> stage =
      ModelFileStage::Begin(*file, path, outputs, [](const onnx::TensorProto&) { return true; });
  if (!stage.ok()) return stage.status();
  for (const ExternalTensor& external : file->external) {
    absl::Status written = stage->Write(external);
    if (!written.ok()) return written;
  }
  return StageSerializedModel(*file->model, &file->external, path, outputs);
}

absl::Status StageModelWithDataFile(ModelFile* file, const fs::path& path, StagedOutputs* outputs) {
  ProtectInputs(*file, outputs);
  const std::string location = path.filename().string() + ".data";
  std::optional<int> fd;  // staged with the first tensor that goes there
  std::vector<ExternalTensor> external;
  int64_t end = 0;
  for (const OwnedTensor& owned : CollectModelTensors(file->model->mutable_graph())) {
    const int64_t length = static_cast<int64_t>(owned.tensor->raw_data().size());
    if (length < kDataFileMinBytes ||
        owned.tensor->data_location() == onnx::TensorProto::EXTERNAL) {
      continue;
    }
    if (!fd) {
      absl::StatusOr<int> staged = outputs->StageBeneath(FolderOf(path), location);
      if (!staged.ok()) return staged.status();
      fd = *staged;
    }
    const int64_t offset = (end + kDataFileAlignment - 1) / kDataFileAlignment * kDataFileAlignment;
    absl::Status written =
        WriteAt(*fd, owned.tensor->raw_data(), offset, FolderOf(path) / location);
    if (!written.ok()) return written;
    end = offset + length;
    ExternalTensor tensor{owned.tensor, TensorLabel(owned), location, nullptr, offset, length, {}};
    *tensor.entries.Add() = Entry("location", location);
    *tensor.entries.Add() = Entry("offset", std::to_string(offset));
    *tensor.entries.Add() = Entry("length", std::to_string(length));
    external.push_back(std::move(tensor));
  }
  return StageSerializedModel(*file->model, &external, path, outputs);
}

}  // namespace qbake
