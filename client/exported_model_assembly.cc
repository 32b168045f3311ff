#include "client/exported_model_assembly.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/malformed_reply.h"
#include "core/parameter_values.h"
#include "core/weight_integers.h"
#include "proto/export_wire.h"

namespace qbake {
namespace {

// Bytes per value of a fixed-width element type; 0 for the others.
uint64_t ElementWidth(int32_t data_type) {
  // ONNX 1.12 predates the 8-bit float types.
  if (IsFloat8DataType(data_type)) return 1;
  switch (data_type) {
    case onnx::TensorProto::BOOL:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
      return 1;
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
      return 2;
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::FLOAT:
      return 4;
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::UINT64:
    case onnx::TensorProto::DOUBLE:
      return 8;
    default:
      return 0;
  }
}

// True when `tensor` holds no data in any of its fields.
bool HoldsNoData(const onnx::TensorProto& tensor) {
  return !tensor.has_raw_data() && tensor.float_data_size() == 0 && tensor.int32_data_size() == 0 &&
         tensor.int64_data_size() == 0 && tensor.double_data_size() == 0 &&
         tensor.uint64_data_size() == 0 && tensor.string_data_size() == 0 &&
         tensor.external_data_size() == 0;
}

// The raw_data size `tensor`'s element type and dims need, when known.
std::optional<uint64_t> NeededBytes(const onnx::TensorProto& tensor) {
  const uint64_t width = ElementWidth(tensor.data_type());
  const absl::StatusOr<int64_t> elements = ElementCount(tensor);
  if (width == 0 || !elements.ok()) return std::nullopt;
  if (static_cast<uint64_t>(*elements) > UINT64_MAX / width) return std::nullopt;
  return static_cast<uint64_t>(*elements) * width;
}

}  // namespace

absl::Status ExportedModelAssembly::Add(const v1::ModelChunk& chunk) {
  if (model_) return MalformedReply("a ModelChunk after the exported model's tensors began");
  if (chunk.offset() != model_bytes_.size() ||
      (!model_bytes_.empty() && chunk.total_bytes() != model_total_)) {
    return MalformedReply(absl::StrCat("a ModelChunk at offset ", chunk.offset(), " of ",
                                       chunk.total_bytes(), " bytes where ", model_bytes_.size(),
                                       " of ", model_total_, " was expected"));
  }
  if (chunk.data().size() > chunk.total_bytes() - model_bytes_.size()) {
    return MalformedReply(
        absl::StrCat("a ModelChunk runs past the model's ", chunk.total_bytes(), " bytes"));
  }
  model_total_ = chunk.total_bytes();
  model_bytes_.append(chunk.data());
  return absl::OkStatus();
}

absl::Status ExportedModelAssembly::ParseModel() {
  if (model_) return absl::OkStatus();
  if (model_total_ == 0 || model_bytes_.size() != model_total_) {
    return MalformedReply(absl::StrCat("the exported model ended after ", model_bytes_.size(),
                                       " of its ", model_total_, " bytes"));
  }
  onnx::ModelProto model;
  if (!model.ParseFromString(model_bytes_)) {
    return MalformedReply("the exported model does not parse as an ONNX model");
  }
  std::string().swap(model_bytes_);
  model_ = std::move(model);
  return absl::OkStatus();
}

absl::Status ExportedModelAssembly::StartTensor(const v1::TensorChunk& chunk) {
  if (absl::Status whole = CheckTensorWhole(); !whole.ok()) return whole;
  auto* initializers = model_->mutable_graph()->mutable_initializer();
  while (next_initializer_ < initializers->size()) {
    onnx::TensorProto& tensor = initializers->at(next_initializer_++);
    if (tensor.name() != chunk.name() || !HoldsNoData(tensor)) continue;
    const std::optional<uint64_t> needed = NeededBytes(tensor);
    if (chunk.data_type() != tensor.data_type() ||
        absl::StrJoin(chunk.dims(), ",") != absl::StrJoin(tensor.dims(), ",") || !needed ||
        *needed != chunk.total_bytes() || *needed < kExportedTensorMinBytes) {
      return MalformedReply(
          absl::StrCat("exported tensor '", chunk.name(), "' came as type ", chunk.data_type(),
                       ", dims [", absl::StrJoin(chunk.dims(), ", "), "], ", chunk.total_bytes(),
                       " bytes, unlike the model's initializer"));
    }
    filling_ = &tensor;
    filling_total_ = *needed;
    filling_->mutable_raw_data()->reserve(filling_total_);
    return absl::OkStatus();
  }
  return MalformedReply(
      absl::StrCat("exported tensor '", chunk.name(), "' for no initializer awaiting its bytes"));
}

absl::Status ExportedModelAssembly::Add(const v1::TensorChunk& chunk) {
  if (absl::Status parsed = ParseModel(); !parsed.ok()) return parsed;
  if (chunk.offset() == 0) {
    if (absl::Status started = StartTensor(chunk); !started.ok()) return started;
  } else if (filling_ == nullptr || chunk.name() != filling_->name() ||
             chunk.offset() != filling_->raw_data().size()) {
    return MalformedReply(absl::StrCat("a chunk of exported tensor '", chunk.name(), "' at offset ",
                                       chunk.offset(), " that does not continue its tensor"));
  }
  if (chunk.data().size() > filling_total_ - filling_->raw_data().size()) {
    return MalformedReply(absl::StrCat("a chunk of exported tensor '", chunk.name(),
                                       "' runs past its ", filling_total_, " bytes"));
  }
  filling_->mutable_raw_data()->append(chunk.data());
  return absl::OkStatus();
}

absl::Status ExportedModelAssembly::CheckTensorWhole() const {
  if (filling_ == nullptr || filling_->raw_data().size() == filling_total_) {
    return absl::OkStatus();
  }
  return MalformedReply(absl::StrCat("exported tensor '", filling_->name(), "' ended after ",
                                     filling_->raw_data().size(), " of its ", filling_total_,
                                     " bytes"));
}

absl::StatusOr<onnx::ModelProto> ExportedModelAssembly::Take() {
  if (absl::Status parsed = ParseModel(); !parsed.ok()) return parsed;
  if (absl::Status whole = CheckTensorWhole(); !whole.ok()) return whole;
  for (const onnx::TensorProto& tensor : model_->graph().initializer()) {
    const std::optional<uint64_t> needed = NeededBytes(tensor);
    if (HoldsNoData(tensor) && needed && *needed >= kExportedTensorMinBytes) {
      return MalformedReply(
          absl::StrCat("exported initializer '", tensor.name(), "' came without its bytes"));
    }
  }
  onnx::ModelProto model = *std::move(model_);
  model_.reset();
  return model;
}

}  // namespace qbake
