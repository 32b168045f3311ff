#include "server/payload_bytes.h"

#include <memory>
#include <utility>

namespace qbake {
namespace {

// `count` values of type T whose low `width` bytes each are the payload; `owner`
// keeps them alive (it may be null when something else does).
template <typename T>
PayloadBytes Values(const T* values, size_t count, size_t width,
                    std::shared_ptr<const void> owner = nullptr) {
  return PayloadBytes(count * width, [values, width, owner = std::move(owner)](
                                         uint64_t offset, size_t n, std::string* out) {
    if (width == sizeof(T)) {
      out->append(reinterpret_cast<const char*>(values) + offset, n);
      return;
    }
    for (uint64_t i = offset; i < offset + n; ++i) {
      const auto bits = static_cast<uint32_t>(values[i / width]);
      out->push_back(static_cast<char>((bits >> (8 * (i % width))) & 0xff));
    }
  });
}

}  // namespace

PayloadBytes TensorBytes(const onnx::TensorProto& tensor) {
  if (tensor.has_raw_data()) return Values(tensor.raw_data().data(), tensor.raw_data().size(), 1);
  if (tensor.data_type() == onnx::TensorProto::FLOAT) {
    return Values(tensor.float_data().data(), tensor.float_data_size(), sizeof(float));
  }
  return Values(tensor.int32_data().data(), tensor.int32_data_size(), 2);
}

PayloadBytes TakeTensorBytes(onnx::TensorProto* tensor) {
  if (!tensor->has_raw_data()) return TensorBytes(*tensor);
  PayloadBytes bytes = OwnedBytes(std::move(*tensor->mutable_raw_data()));
  tensor->clear_raw_data();
  return bytes;
}

PayloadBytes OwnedBytes(std::string bytes) {
  auto owned = std::make_shared<const std::string>(std::move(bytes));
  return Values(owned->data(), owned->size(), 1, owned);
}

PayloadBytes IntegerBytes(std::vector<int32_t> values, IntegerType type) {
  auto owned = std::make_shared<const std::vector<int32_t>>(std::move(values));
  return Values(owned->data(), owned->size(), type == IntegerType::kInt32 ? 4 : 1, owned);
}

}  // namespace qbake
