#include "cli/model_skeleton.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/regular_file_stream.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "onnx/onnx_pb.h"

namespace qbake {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using google::protobuf::io::StringOutputStream;

// The fields on the way to a tensor's bytes.
constexpr int kModelGraph = onnx::ModelProto::kGraphFieldNumber;
constexpr int kGraphNode = onnx::GraphProto::kNodeFieldNumber;
constexpr int kGraphInitializer = onnx::GraphProto::kInitializerFieldNumber;
constexpr int kNodeAttribute = onnx::NodeProto::kAttributeFieldNumber;
constexpr int kAttributeTensor = onnx::AttributeProto::kTFieldNumber;
constexpr int kTensorRawData = onnx::TensorProto::kRawDataFieldNumber;
constexpr int kIoBlockBytes = 1 << 20;

bool IsDelimited(uint32_t tag, int field) {
  return tag == WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
}

// Reads the fields up to the current limit and writes them again, descending into
// those on the way to the tensors' raw_data. Any flaw ends the walk.
class SkeletonWalk {
 public:
  SkeletonWalk(const RegularFile* file, int64_t strip_min_bytes)
      : file_(file),
        stream_(file, kIoBlockBytes),
        in_(&stream_),
        strip_min_bytes_(strip_min_bytes) {}

  absl::StatusOr<ModelSkeleton> Run() {
    if (file_->size() >= std::numeric_limits<int>::max()) return Unwalked("it holds 2 GiB or more");
    in_.SetTotalBytesLimit(std::numeric_limits<int>::max());
    in_.PushLimit(static_cast<int>(file_->size()));
    ModelSkeleton skeleton;
    const bool walked = Fields(Level::kModel, &skeleton.bytes);
    if (!stream_.status().ok()) return stream_.status();
    if (!walked) return Unwalked(absl::StrCat("a field at byte ", in_.CurrentPosition()));
    skeleton.spans = std::move(spans_);
    return skeleton;
  }

 private:
  enum class Level { kModel, kGraph, kNode, kAttribute, kTensor };

  absl::Status Unwalked(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("'", file_->path().string(), "' is not walked as a model: ", what));
  }

  bool Fields(Level level, std::string* bytes) {
    StringOutputStream string_out(bytes);
    CodedOutputStream out(&string_out);
    while (in_.BytesUntilLimit() > 0) {
      const uint32_t tag = in_.ReadTag();
      if (tag == 0 || !Field(level, tag, &out)) return false;
    }
    return !out.HadError();
  }

  bool Field(Level level, uint32_t tag, CodedOutputStream* out) {
    if (level == Level::kModel && IsDelimited(tag, kModelGraph)) {
      return Nested(Level::kGraph, tag, out);
    }
    if (level == Level::kGraph && IsDelimited(tag, kGraphInitializer)) {
      owner_ = {++initializer_, -1, -1};
      return Tensor(tag, out);
    }
    if (level == Level::kGraph && IsDelimited(tag, kGraphNode)) {
      ++node_;
      attribute_ = -1;
      return Nested(Level::kNode, tag, out);
    }
    if (level == Level::kNode && IsDelimited(tag, kNodeAttribute)) {
      ++attribute_;
      return Nested(Level::kAttribute, tag, out);
    }
    if (level == Level::kAttribute && IsDelimited(tag, kAttributeTensor)) {
      owner_ = {-1, node_, attribute_};
      return Tensor(tag, out);
    }
    if (level == Level::kTensor && IsDelimited(tag, kTensorRawData)) return RawData(tag, out);
    return WireFormatLite::SkipField(&in_, tag, out);
  }

  bool Tensor(uint32_t tag, CodedOutputStream* out) {
    tensor_has_raw_data_ = false;
    return Nested(Level::kTensor, tag, out);
  }

  // A length-delimited field's size, when the bytes left hold it.
  bool Length(int* length) {
    return in_.ReadVarintSizeAsInt(length) && *length <= in_.BytesUntilLimit();
  }

  bool Nested(Level level, uint32_t tag, CodedOutputStream* out) {
    int length = 0;
    if (!Length(&length)) return false;
    const CodedInputStream::Limit limit = in_.PushLimit(length);
    std::string inner;
    if (!Fields(level, &inner)) return false;
    in_.PopLimit(limit);
    out->WriteTag(tag);
    out->WriteVarint32(static_cast<uint32_t>(inner.size()));
    out->WriteString(inner);
    return true;
  }

  bool RawData(uint32_t tag, CodedOutputStream* out) {
    int length = 0;
    if (!Length(&length)) return false;
    if (tensor_has_raw_data_) return false;
    tensor_has_raw_data_ = true;
    const bool stripped = length >= strip_min_bytes_;
    InlineDataSpan span = owner_;
    span.offset = in_.CurrentPosition();
    span.length = length;
    span.stripped = stripped;
    spans_.push_back(span);
    if (stripped) return in_.Skip(length);
    std::string bytes;
    if (!in_.ReadString(&bytes, length)) return false;
    out->WriteTag(tag);
    out->WriteVarint32(static_cast<uint32_t>(length));
    out->WriteString(bytes);
    return true;
  }

  const RegularFile* file_;
  RegularFileStream stream_;
  CodedInputStream in_;
  int64_t strip_min_bytes_;
  // The indices of the latest initializer, node and attribute of that node.
  int initializer_ = -1;
  int node_ = -1;
  int attribute_ = -1;
  InlineDataSpan owner_;  // the tensor being walked: where it is, no bytes yet
  bool tensor_has_raw_data_ = false;
  std::vector<InlineDataSpan> spans_;
};

}  // namespace

absl::StatusOr<ModelSkeleton> ReadModelSkeleton(const RegularFile& file, int64_t strip_min_bytes) {
  return SkeletonWalk(&file, strip_min_bytes).Run();
}

}  // namespace qbake
