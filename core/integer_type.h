// The integer representation of a LINEAR bake (BAKING.md 3.1): int8 for up to 8 bits
// under SYMMETRICAL, uint8 for up to 8 bits under ASYMMETRICAL, int32 above. q is
// converted as PPQ's torch CPU path converts it on x86: truncated to int32, a value
// outside the int32 range becoming INT32_MIN, then wrapped to 8 bits where the type
// is 8 bits wide (so an ASYMMETRICAL q of -24 is the uint8 232).
#ifndef QBAKE_CORE_INTEGER_TYPE_H_
#define QBAKE_CORE_INTEGER_TYPE_H_

#include <cstdint>

#include "core/quant_config.h"

namespace qbake {

enum class IntegerType { kInt8, kUInt8, kInt32 };

IntegerType IntegerTypeOf(const TensorQuantConfig& config);

// What an integer type is in ONNX: its TensorProto data type, name and range.
struct IntegerTypeTraits {
  int32_t data_type;  // onnx::TensorProto::INT8, UINT8 or INT32
  const char* name;   // "INT8", "UINT8" or "INT32"
  int64_t lowest;
  int64_t highest;
  int bytes;
};

const IntegerTypeTraits& TraitsOf(IntegerType type);

}  // namespace qbake

#endif  // QBAKE_CORE_INTEGER_TYPE_H_
