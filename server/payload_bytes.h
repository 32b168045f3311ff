// The bytes a bake streams back, read slice by slice so nothing is copied whole: a
// baked tensor's data in the layout of onnx.TensorProto.raw_data (little-endian
// values of its own element type, whether the model stores them in raw_data,
// float_data or int32_data), and a parameter's integers in their integer type.
// Like the core, this assumes a little-endian host.
#ifndef QBAKE_SERVER_PAYLOAD_BYTES_H_
#define QBAKE_SERVER_PAYLOAD_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/integer_type.h"
#include "onnx/onnx_pb.h"

namespace qbake {

class PayloadBytes {
 public:
  using Reader = std::function<void(uint64_t offset, size_t n, std::string* out)>;
  PayloadBytes(uint64_t size, Reader read) : size_(size), read_(std::move(read)) {}

  uint64_t size() const { return size_; }
  // Appends bytes [offset, offset + n) to `out`; offset + n must not pass size().
  void AppendTo(uint64_t offset, size_t n, std::string* out) const { read_(offset, n, out); }

 private:
  uint64_t size_;
  Reader read_;
};

// A FLOAT, FLOAT16 or BFLOAT16 tensor holding its data inline (as a bake leaves
// it). The tensor must outlive the result and keep its size.
PayloadBytes TensorBytes(const onnx::TensorProto& tensor);

// The tensor's bytes as TensorBytes gives them, owned by the result: raw_data is
// moved out of the tensor (leaving it empty); typed storage is referred to, so the
// tensor must then outlive the result.
PayloadBytes TakeTensorBytes(onnx::TensorProto* tensor);

// `bytes`, owned by the result.
PayloadBytes OwnedBytes(std::string bytes);

// One byte per value for kInt8 and kUInt8 (the value's low byte), four for kInt32.
// The result owns the values.
PayloadBytes IntegerBytes(std::vector<int32_t> values, IntegerType type);

}  // namespace qbake

#endif  // QBAKE_SERVER_PAYLOAD_BYTES_H_
