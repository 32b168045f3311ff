// The two 8-bit float formats ONNX stores since opset 19 (FLOAT8E4M3FN, data type
// 17: 4 exponent bits, bias 7, no infinities, largest 448; FLOAT8E5M2, data type 19:
// 5 exponent bits, bias 15, largest finite 57344), and how an exact float32 value
// finds its byte. Nothing here rounds: a value between two bytes has no byte.
#ifndef QBAKE_CORE_FLOAT8_H_
#define QBAKE_CORE_FLOAT8_H_

#include <cstdint>
#include <optional>

namespace qbake {

enum class Float8Format { kE4M3FN, kE5M2 };

// ONNX's TensorProto data type number of the format (17 or 19).
int32_t Float8DataType(Float8Format format);
// "FLOAT8E4M3FN" or "FLOAT8E5M2".
const char* Float8Name(Float8Format format);

// The float32 value of `byte` (NaN for the NaN bytes, infinities for E5M2's).
float DecodeFloat8(uint8_t byte, Float8Format format);

// The finite byte whose value is `value` exactly (0x80 for -0.0), or nullopt.
std::optional<uint8_t> EncodeFloat8Exactly(float value, Float8Format format);

// The bytes of the finite values nearest `value` from below and above (the same
// byte twice when one holds it exactly); nullopt beyond the largest finite value
// or for NaN. For trying the candidates around a quotient that is nearly a byte's value.
struct Float8Neighbours {
  uint8_t below = 0;
  uint8_t above = 0;
};
std::optional<Float8Neighbours> NearestFloat8(float value, Float8Format format);

}  // namespace qbake

#endif  // QBAKE_CORE_FLOAT8_H_
