// ONNX model files, including tensors stored as ONNX external data (data_location
// EXTERNAL with `location`, `offset`, `length` entries; `location` is relative to the
// model's folder). Reading loads every external tensor into raw_data and remembers
// where it came from; staging writes it back the same way beside the output model.
// A location that resolves outside the model's folder is an error, on read and write.
#ifndef QBAKE_CLI_MODEL_FILES_H_
#define QBAKE_CLI_MODEL_FILES_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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

struct ModelFile {
  std::unique_ptr<onnx::ModelProto> model;
  std::vector<ExternalTensor> external;  // loaded: raw_data set, data_location DEFAULT
  FileIdentity identity;                 // of the model file
};

// Parses the model at `path` and loads its external tensors (from the top-level
// graph, subgraphs, node attributes and sparse initializers), each opened beneath
// the model's folder without following symbolic links (RegularFile::OpenBeneath).
// Errors name the tensor and location: a missing file or one that is not a regular
// file, a range past its end, a location outside the folder, a symbolic link,
// ranges of two tensors that overlap.
absl::StatusOr<ModelFile> ReadModelFile(const std::filesystem::path& path);

// Stages `file` at `path`: each external data file is staged at its location beside
// `path` (beneath its folder, as read) as a copy of the file it was read from with
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
