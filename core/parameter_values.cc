#include "core/parameter_values.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/config_error.h"
#include "core/half_precision.h"

namespace qbake {
namespace {

using onnx::TensorProto;

bool IsHalfWidth(int32_t data_type) {
  return data_type == TensorProto::FLOAT16 || data_type == TensorProto::BFLOAT16;
}

float WidenHalf(int32_t data_type, uint16_t bits) {
  return data_type == TensorProto::FLOAT16 ? HalfToFloat(bits) : BFloat16ToFloat(bits);
}

uint16_t NarrowHalf(int32_t data_type, float value) {
  return data_type == TensorProto::FLOAT16 ? FloatToHalf(value) : FloatToBFloat16(value);
}

std::string DimsString(const TensorProto& tensor) {
  return absl::StrCat("[", absl::StrJoin(tensor.dims(), ", "), "]");
}

absl::Status SizeMismatch(const TensorProto& tensor, absl::string_view field, int64_t stored,
                          int64_t expected) {
  return TensorFieldError(field, absl::StrCat("holds ", stored, " entries but dims ",
                                              DimsString(tensor), " need ", expected));
}

// In values, not bytes: the byte count of huge dims would overflow int64.
absl::Status RawSizeMismatch(const TensorProto& tensor, size_t bytes, int64_t count,
                             int64_t width) {
  return TensorFieldError(
      "raw_data", absl::StrCat("holds ", bytes, " bytes but dims ", DimsString(tensor), " need ",
                               count, " values of ", width, " bytes"));
}

}  // namespace

absl::StatusOr<int64_t> ElementCount(const TensorProto& tensor) {
  const auto& dims = tensor.dims();
  if (std::any_of(dims.begin(), dims.end(), [](int64_t dim) { return dim < 0; })) {
    return TensorFieldError("dims", absl::StrCat("negative dimension in ", DimsString(tensor)));
  }
  // A zero dimension empties the tensor, whatever the others and wherever it stands.
  if (std::find(dims.begin(), dims.end(), 0) != dims.end()) return 0;
  int64_t count = 1;
  for (int64_t dim : dims) {
    if (count > std::numeric_limits<int64_t>::max() / dim) {
      return TensorFieldError("dims",
                              absl::StrCat("element count of ", DimsString(tensor), " overflows"));
    }
    count *= dim;
  }
  return count;
}

bool IsBakeableElementType(int32_t data_type) {
  return data_type == TensorProto::FLOAT || IsHalfWidth(data_type);
}

absl::StatusOr<std::vector<float>> ReadParameterValues(const TensorProto& tensor) {
  if (tensor.data_location() == TensorProto::EXTERNAL) {
    return TensorFieldError("data_location", "external data was not loaded into the model");
  }
  absl::StatusOr<int64_t> count = ElementCount(tensor);
  if (!count.ok()) return count.status();
  const int32_t type = tensor.data_type();
  const int64_t width = BakeableElementBytes(type);
  std::vector<float> values;
  if (tensor.has_raw_data()) {
    const std::string& raw = tensor.raw_data();
    if (static_cast<int64_t>(raw.size()) / width != *count ||
        static_cast<int64_t>(raw.size()) % width != 0) {
      return RawSizeMismatch(tensor, raw.size(), *count, width);
    }
    values.resize(static_cast<size_t>(*count));
    if (type == TensorProto::FLOAT) {
      // An empty vector's data() may be null, which memcpy may not be given even for
      // zero bytes (found by differential_bake_fuzzer under UBSan).
      if (!raw.empty()) std::memcpy(values.data(), raw.data(), raw.size());
    } else {
      for (size_t i = 0; i < values.size(); ++i) {
        uint16_t bits;
        std::memcpy(&bits, raw.data() + 2 * i, 2);
        values[i] = WidenHalf(type, bits);
      }
    }
    return values;
  }
  const int64_t stored =
      type == TensorProto::FLOAT ? tensor.float_data_size() : tensor.int32_data_size();
  if (stored != *count) {
    return SizeMismatch(tensor, type == TensorProto::FLOAT ? "float_data" : "int32_data", stored,
                        *count);
  }
  if (type == TensorProto::FLOAT)
    return std::vector<float>(tensor.float_data().begin(), tensor.float_data().end());
  for (int32_t bits : tensor.int32_data()) {
    values.push_back(WidenHalf(type, static_cast<uint16_t>(bits)));
  }
  return values;
}

void WriteParameterValues(absl::Span<const float> values, TensorProto* tensor) {
  const int32_t type = tensor->data_type();
  if (tensor->has_raw_data()) {
    std::string* raw = tensor->mutable_raw_data();
    if (type == TensorProto::FLOAT) {
      if (!values.empty()) std::memcpy(raw->data(), values.data(), values.size() * sizeof(float));
      return;
    }
    for (size_t i = 0; i < values.size(); ++i) {
      const uint16_t bits = NarrowHalf(type, values[i]);
      std::memcpy(raw->data() + 2 * i, &bits, 2);
    }
    return;
  }
  if (type == TensorProto::FLOAT) {
    std::copy(values.begin(), values.end(), tensor->mutable_float_data()->begin());
    return;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    tensor->set_int32_data(static_cast<int>(i), NarrowHalf(type, values[i]));
  }
}

}  // namespace qbake
