#include "client/baked_tensor_assembly.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/malformed_reply.h"
#include "client/memory_headroom.h"
#include "core/parameter_values.h"
#include "core/quant_config.h"

namespace qbake {
namespace {

std::string DimsText(const google::protobuf::RepeatedField<int64_t>& dims) {
  return absl::StrCat("[", absl::StrJoin(dims, ", "), "]");
}

// The chunk describes `tensor` as the model holds it.
absl::Status CheckDescription(const v1::TensorChunk& chunk, const onnx::TensorProto& tensor) {
  const std::string& name = chunk.name();
  if (!IsBakeableElementType(tensor.data_type()) || chunk.data_type() != tensor.data_type()) {
    return MalformedReply(absl::StrCat("'", name, "' came as element type ", chunk.data_type(),
                                       ", the model's parameter is of type ", tensor.data_type()));
  }
  if (DimsText(chunk.dims()) != DimsText(tensor.dims())) {
    return MalformedReply(absl::StrCat("'", name, "' came with dims ", DimsText(chunk.dims()),
                                       ", the model's parameter has ", DimsText(tensor.dims())));
  }
  absl::StatusOr<int64_t> elements = ElementCount(tensor);
  if (!elements.ok())
    return MalformedReply(absl::StrCat("'", name, "': ", elements.status().message()));
  // Compared in values: a byte count from the dims could overflow.
  const uint64_t width = static_cast<uint64_t>(BakeableElementBytes(tensor.data_type()));
  if (chunk.total_bytes() % width != 0 ||
      chunk.total_bytes() / width != static_cast<uint64_t>(*elements)) {
    return MalformedReply(absl::StrCat("'", name, "' came as ", chunk.total_bytes(),
                                       " bytes, its dims need ", *elements, " values of ", width,
                                       " bytes"));
  }
  return absl::OkStatus();
}

// The values of `bytes`, raw data of `tensor`'s element type and dims.
std::vector<float> DecodeRaw(const onnx::TensorProto& tensor, std::string bytes) {
  onnx::TensorProto raw;
  raw.set_data_type(tensor.data_type());
  *raw.mutable_dims() = tensor.dims();
  raw.set_raw_data(std::move(bytes));
  return ReadParameterValues(raw).value();  // sizes were checked as the chunks came
}

// Reserves `size` bytes for a tensor, then checks that the transport's headroom is
// still free (see memory_headroom.h).
void ReserveWithTransportHeadroom(size_t size, std::string* bytes) {
  bytes->reserve(size);
  CheckTransportHeadroom();
}

}  // namespace

BakedTensorAssembly::BakedTensorAssembly(onnx::ModelProto* model,
                                         absl::Span<const TensorConfigSpec> specs,
                                         const TensorStore* store)
    : index_(model->mutable_graph()), store_(store) {
  for (const TensorConfigSpec& spec : specs) {
    if (Bakes(spec)) baked_.insert(spec.variable);
  }
}

bool BakedTensorAssembly::Bakes(const TensorConfigSpec& spec) const {
  return IsBakeable(spec.state) && index_.FindParameter(spec.variable) != nullptr;
}

absl::StatusOr<BakedTensorAssembly::Assembled*> BakedTensorAssembly::Find(const std::string& name) {
  auto found = tensors_.find(name);
  if (found != tensors_.end()) return &found->second;
  const ParameterRef* parameter = index_.FindParameter(name);
  if (parameter == nullptr) {
    return MalformedReply(
        absl::StrCat("data for '", name, "', which is no parameter of the model"));
  }
  if (!baked_.contains(name)) {
    return MalformedReply(absl::StrCat("data for '", name,
                                       "', a parameter no config bakes (none names it "
                                       "ACTIVATED or PASSIVE)"));
  }
  Assembled& assembled = tensors_[name];
  assembled.tensor = parameter->tensor;
  assembled.stored = store_ != nullptr && store_->Size(*parameter->tensor).has_value();
  return &assembled;
}

absl::Status BakedTensorAssembly::Add(const v1::TensorChunk& chunk) {
  absl::StatusOr<Assembled*> assembled = Find(chunk.name());
  if (!assembled.ok()) return assembled.status();
  absl::Status described = CheckDescription(chunk, *(*assembled)->tensor);
  if (!described.ok()) return described;
  Assembled& tensor = **assembled;
  if (chunk.offset() != tensor.received) {
    return MalformedReply(absl::StrCat("a chunk of '", chunk.name(), "' at offset ", chunk.offset(),
                                       " where ", tensor.received, " was expected"));
  }
  if (chunk.data().size() > chunk.total_bytes() - tensor.received) {
    return MalformedReply(absl::StrCat("a chunk of '", chunk.name(), "' runs past its ",
                                       chunk.total_bytes(), " bytes"));
  }
  tensor.total_bytes = chunk.total_bytes();  // what the dims need, as checked
  if (tensor.stored) {
    absl::Status written = store_->Write(*tensor.tensor, tensor.received, chunk.data());
    if (!written.ok()) return written;
  } else {
    if (tensor.bytes.empty()) ReserveWithTransportHeadroom(chunk.total_bytes(), &tensor.bytes);
    tensor.bytes.append(chunk.data());
  }
  tensor.received += chunk.data().size();
  return absl::OkStatus();
}

std::optional<BakedTensorAssembly::WholeTensor> BakedTensorAssembly::Whole(
    absl::string_view name) const {
  auto found = tensors_.find(name);
  if (found == tensors_.end() || !found->second.whole()) return std::nullopt;
  const int32_t data_type = found->second.tensor->data_type();
  const int64_t bytes = static_cast<int64_t>(found->second.total_bytes);
  return WholeTensor{data_type, bytes / BakeableElementBytes(data_type), bytes};
}

std::optional<BakedTensorAssembly::WholeTensor> BakedTensorAssembly::AsRequested(
    absl::string_view name) const {
  const ParameterRef* parameter = index_.FindParameter(name);
  if (parameter == nullptr || !baked_.contains(name)) return std::nullopt;
  const absl::StatusOr<int64_t> elements = ElementCount(*parameter->tensor);
  if (!elements.ok()) return std::nullopt;
  const int32_t data_type = parameter->tensor->data_type();
  return WholeTensor{data_type, *elements, *elements * BakeableElementBytes(data_type)};
}

absl::Status BakedTensorAssembly::WriteInto() {
  // Typed storage needs values; raw storage takes the bytes as they are.
  std::vector<std::optional<std::vector<float>>> values;
  for (auto& [name, assembled] : tensors_) {
    if (!assembled.whole()) {
      return MalformedReply(absl::StrCat("'", name, "' ended after ", assembled.received,
                                         " of its ", assembled.total_bytes, " bytes"));
    }
    if (assembled.stored) continue;
    const onnx::TensorProto& tensor = *assembled.tensor;
    const bool raw = tensor.has_raw_data();
    if (raw ? tensor.raw_data().size() != assembled.total_bytes
            : !ReadParameterValues(tensor).ok()) {
      return MalformedReply(
          absl::StrCat("data for '", name, "', whose stored data does not match its dims"));
    }
    values.push_back(raw ? std::nullopt
                         : std::optional(DecodeRaw(tensor, std::move(assembled.bytes))));
  }
  auto value = values.begin();
  for (auto& [name, assembled] : tensors_) {
    if (assembled.stored) continue;
    if (*value) {
      WriteParameterValues(**value, assembled.tensor);
    } else {
      assembled.tensor->mutable_raw_data()->swap(assembled.bytes);
    }
    ++value;
  }
  tensors_.clear();
  return absl::OkStatus();
}

}  // namespace qbake
