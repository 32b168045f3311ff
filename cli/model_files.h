// ONNX model files, including tensors stored as ONNX external data (data_location
// EXTERNAL with `location`, `offset`, `length` entries; `location` is relative to the
// model's folder). Reading loads every external tensor into raw_data and remembers
// where it came from, or (ExternalData::kLocate) leaves it and the large inline
// raw_data in their files to load one at a time; staging writes it back the same way
// beside the output model. A location that resolves outside the model's folder is an
// error, on read and write.
#ifndef QBAKE_CLI_MODEL_FILES_H_
#define QBAKE_CLI_MODEL_FILES_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cli/staged_outputs.h"
#include "common/regular_file.h"
#include "onnx/onnx_pb.h"

namespace qbake {

// A tensor whose bytes live in an external data file.
struct ExternalTensor {
  onnx::TensorProto* tensor = nullptr;        // inside ModelFile::model
  std::string label;                          // how messages name it: "tensor 'W'"
  std::string location;                       // as the model states it
  std::shared_ptr<const RegularFile> source;  // the file its bytes were read from, kept open
  int64_t offset = 0;
  int64_t length = 0;
  // The tensor's external_data entries, held here while its bytes are loaded.
  google::protobuf::RepeatedPtrField<onnx::StringStringEntryProto> entries;
};

// An initializer whose raw_data lies in the model file (read with ExternalData::kLocate).
struct InlineTensor {
  onnx::TensorProto* tensor = nullptr;  // inside ModelFile::model
  std::string label;                    // how messages name it: "tensor 'W'"
  int64_t offset = 0;                   // of its raw_data in the model file
  int64_t length = 0;
  // Its raw_data was left out of the model as read: it is loaded to bake it
  // (LoadInlineTensor). Small ones are read with the model.
  bool unloaded = false;
};

struct ModelFile {
  std::unique_ptr<onnx::ModelProto> model;
  // Each loaded (raw_data set, data_location DEFAULT, its entries held aside) or,
  // read with ExternalData::kLocate and not loaded since, as the model states it.
  std::vector<ExternalTensor> external;
  FileIdentity identity;  // of the model file
  // Read with ExternalData::kLocate: the model file, kept open, and the top-level
  // graph's initializers whose raw_data was found there (ReadModelSkeleton); none
  // when the file was parsed whole.
  std::shared_ptr<const RegularFile> source;
  std::vector<InlineTensor> inline_data;
};

// What ReadModelFile does with the bytes of external tensors.
enum class ExternalData {
  kLoad,  // reads them into each tensor's raw_data
  // Leaves them in their files, to load one at a time (LoadExternalTensor), and the
  // initializers' raw_data of kDataFileMinBytes or more in the model file too
  // (LoadInlineTensor); the model is parsed without them.
  kLocate,
};

// Parses the model at `path` and locates its external tensors (from the top-level
// graph, subgraphs, node attributes and sparse initializers), each opened beneath
// the model's folder without following symbolic links (RegularFile::OpenBeneath),
// and with kLoad loads them. Errors name the tensor and location: a missing file or
// one that is not a regular file, a range past its end, a location outside the
// folder, a symbolic link, ranges of two tensors that overlap.
absl::StatusOr<ModelFile> ReadModelFile(const std::filesystem::path& path,
                                        ExternalData loading = ExternalData::kLoad);

// Reads a located tensor's bytes from its file into `*buffer`, whose storage is
// reused when it holds them, without loading them: the tensor and the model are
// not touched, so another thread may read while the model is used. RegularFile::
// Read's errors, naming the tensor and location.
absl::Status ReadTensorBytes(const ExternalTensor& external, std::string* buffer);
// The same for an unloaded inline tensor of `file`: its raw_data, from the model file.
absl::Status ReadTensorBytes(const ModelFile& file, const InlineTensor& tensor,
                             std::string* buffer);

// Loads a located tensor: makes `bytes` (ReadTensorBytes's) its raw_data, its
// entries held aside.
void LoadExternalTensor(ExternalTensor* external, std::string bytes);
// The inverse: the tensor is external again, as the model stated it; returns its
// bytes (a buffer for the next ReadTensorBytes).
std::string UnloadExternalTensor(ExternalTensor* external);

// The same for an unloaded inline tensor: `bytes` made its raw_data, and taken back out.
void LoadInlineTensor(const InlineTensor& tensor, std::string bytes);
std::string UnloadInlineTensor(const InlineTensor& tensor);

// Reads bytes [offset, offset + into.size()) of a located tensor's data (which they
// must not run past) from its file, without loading it. Errors name the tensor.
absl::Status ReadSlice(const ExternalTensor& external, int64_t offset, absl::Span<char> into);
absl::Status ReadSlice(const ModelFile& file, const InlineTensor& tensor, int64_t offset,
                       absl::Span<char> into);

// A model file staged a piece at a time: its data files, then the bytes of each
// tensor that is rewritten, then the model (StageModelFile stages all at once).
// For a model whose tensors are baked one after another into their staged files.
// A model read with ExternalData::kLocate is staged as its file with the inline
// tensors rewritten in place: its bytes are the input's but for theirs.
class ModelFileStage {
 public:
  // Protects the inputs of `file` (no output of `outputs` may replace the model or
  // a data file) and stages each data file at its location beside `path` (beneath
  // its folder, as read), and a located model at `path`: each a copy of the file it
  // was read from but the bytes of the tensors `rewritten` picks (all written then).
  static absl::StatusOr<ModelFileStage> Begin(
      const ModelFile& file, const std::filesystem::path& path, StagedOutputs* outputs,
      const std::function<bool(const onnx::TensorProto&)>& rewritten);

  // Writes the loaded tensor's raw_data (whose size must not have changed) over its
  // range of its staged file.
  absl::Status Write(const ExternalTensor& external) const;
  absl::Status Write(const InlineTensor& tensor) const;
  // Writes `bytes` at `offset` of the tensor's range of its staged file (INTERNAL
  // when they run past it). May run while another thread reads the inputs.
  absl::Status WriteSlice(const ExternalTensor& external, int64_t offset,
                          absl::string_view bytes) const;
  absl::Status WriteSlice(const InlineTensor& tensor, int64_t offset,
                          absl::string_view bytes) const;

  // Stages the model at `path`, unless it was staged as a copy; its external tensors
  // must be unloaded.
  absl::Status Finish(const onnx::ModelProto& model) const;

 private:
  ModelFileStage(std::filesystem::path path, StagedOutputs* outputs)
      : path_(std::move(path)), outputs_(outputs) {}

  std::filesystem::path path_;
  StagedOutputs* outputs_;
  std::map<std::string, int> data_files_;  // staged descriptors by normalized location
  int model_fd_ = -1;                      // the staged model, when staged as a copy
};

// Stages `file`, every external tensor loaded, at `path`: each external data file is staged at its
// location beside `path` (beneath its folder, as read) as a copy of the file it was read from with
// every tensor's range rewritten from raw_data (whose size must not have changed),
// and the model is serialized with those tensors external again. The model file and
// its data files are protected first: no output of `outputs` may replace them.
// `file` is unchanged on return.
absl::Status StageModelFile(ModelFile* file, const std::filesystem::path& path,
                            StagedOutputs* outputs);

// Tensors StageModelWithDataFile puts in the data file: at least this many bytes of
// raw_data (as ONNX's convert_model_to_external_data does), at offsets aligned so.
constexpr int64_t kDataFileMinBytes = 1024;
constexpr int64_t kDataFileAlignment = 64;

// Stages `file`'s model at `path` with one data file beside it, named as `path` with
// ".data" appended, holding the raw_data of every tensor of kDataFileMinBytes or
// more (in CollectModelTensors order; no data file when there is none); smaller ones
// stay inline. For a model whose
// structure an export has changed, so that the input's data files no longer fit it.
// Inputs are protected as StageModelFile protects them. `file` is unchanged on return.
absl::Status StageModelWithDataFile(ModelFile* file, const std::filesystem::path& path,
                                    StagedOutputs* outputs);

}  // namespace qbake

#endif  // QBAKE_CLI_MODEL_FILES_H_
