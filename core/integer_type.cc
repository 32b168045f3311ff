#include "core/integer_type.h"

#include <limits>

#include "onnx/onnx_pb.h"

namespace qbake {

IntegerType IntegerTypeOf(const TensorQuantConfig& config) {
  if (config.num_of_bits > 8) return IntegerType::kInt32;
  return config.Has(kAsymmetrical) ? IntegerType::kUInt8 : IntegerType::kInt8;
}

const IntegerTypeTraits& TraitsOf(IntegerType type) {
  static constexpr IntegerTypeTraits kInt8{onnx::TensorProto::INT8, "INT8", -128, 127, 1};
  static constexpr IntegerTypeTraits kUInt8{onnx::TensorProto::UINT8, "UINT8", 0, 255, 1};
  static constexpr IntegerTypeTraits kInt32{onnx::TensorProto::INT32, "INT32",
                                            std::numeric_limits<int32_t>::min(),
                                            std::numeric_limits<int32_t>::max(), 4};
  switch (type) {
    case IntegerType::kUInt8:
      return kUInt8;
    case IntegerType::kInt32:
      return kInt32;
    case IntegerType::kInt8:
      break;
  }
  return kInt8;
}

}  // namespace qbake
