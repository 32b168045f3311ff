// The stored form of a baked weight in a QDQ export (docs/EXPORT.md): the integers
// (or 8-bit floats) q that ONNX's DequantizeLinear turns back into the baked float32
// values bit for bit, computing (q - zero_point) * scale in float32 as PPQ does.
// They are found from the baked values themselves and each one is checked, so
// nothing reaches an export that would dequantize to other bits.
#ifndef QBAKE_CORE_WEIGHT_INTEGERS_H_
#define QBAKE_CORE_WEIGHT_INTEGERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/quant_config.h"

namespace qbake {

struct WeightIntegers {
  int32_t data_type = 0;  // onnx::TensorProto::DataType: INT8, UINT8, INT32, 17 or 19
  std::string raw_data;   // the values, little-endian, one per baked value
  // One zero point per scale (same data type; zero for the 8-bit floats), empty for
  // INT32, where ONNX's DequantizeLinear takes none.
  std::string zero_point_raw_data;
};

// True for FLOAT8E4M3FN and FLOAT8E5M2.
bool IsFloat8DataType(int32_t data_type);

// The stored form of `baked`, the float32 values a bake with `config` wrote into a
// tensor of shape `dims`, with the scale and offset it used (one, or one per channel
// along config.channel_axis). FAILED_PRECONDITION, with the reason in words, when the
// config has no DequantizeLinear form (FLOATING other than 8-bit E4M3 or E5M2, an
// offset that is not a whole number of the integer type, a non-zero offset above 8
// bits) or some value has no stored form that gives back its exact bits (then the
// message names the first such index).
absl::StatusOr<WeightIntegers> FindWeightIntegers(const TensorQuantConfig& config,
                                                  absl::Span<const int64_t> dims,
                                                  absl::Span<const float> scale,
                                                  absl::Span<const float> offset,
                                                  absl::Span<const float> baked);

// For the qdq-float export, where the baked floats stay and pass through ONNX's
// QuantizeLinear first: OK when QuantizeLinear (x / scale rounded half to even, plus
// the zero point, saturated to the type; for the 8-bit floats the nearest value, ties
// to even) gives exactly `integers` from `baked`. FAILED_PRECONDITION with the reason
// otherwise: INT32, which QuantizeLinear does not produce, or the first index where it
// gives another value. The arguments are FindWeightIntegers' and its result.
absl::Status CheckQuantizeLinearGives(const WeightIntegers& integers,
                                      const TensorQuantConfig& config,
                                      absl::Span<const int64_t> dims, absl::Span<const float> scale,
                                      absl::Span<const float> baked);

}  // namespace qbake

#endif  // QBAKE_CORE_WEIGHT_INTEGERS_H_
