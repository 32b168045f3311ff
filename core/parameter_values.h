// Reads and writes the values of an ONNX parameter tensor as float32: FLOAT from
// raw_data or float_data; FLOAT16 and BFLOAT16 (raw_data or int32_data) widened
// exactly and narrowed back with round-to-nearest-even. Writing keeps the storage
// form the tensor had (raw or typed field), so nothing else in the model changes.
#ifndef QBAKE_CORE_PARAMETER_VALUES_H_
#define QBAKE_CORE_PARAMETER_VALUES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "onnx/onnx_pb.h"

namespace qbake {

// Errors here name the field ("field 'dims': ..."); callers prefix the operation and
// variable with ConfigSiteError.

// The product of dims (0 when any dim is 0, whatever the others are); INVALID_ARGUMENT
// for a negative dim or, when none is 0, a product beyond int64.
absl::StatusOr<int64_t> ElementCount(const onnx::TensorProto& tensor);

// True for the element types a bake accepts: FLOAT, FLOAT16, BFLOAT16.
bool IsBakeableElementType(int32_t data_type);

// Bytes per value of a bakeable element type: 4 for FLOAT, 2 for the 16-bit floats.
inline int64_t BakeableElementBytes(int32_t data_type) {
  return data_type == onnx::TensorProto::FLOAT ? 4 : 2;
}

// INVALID_ARGUMENT when the stored data does not hold exactly ElementCount values,
// or when the data lives in external storage that has not been loaded.
absl::StatusOr<std::vector<float>> ReadParameterValues(const onnx::TensorProto& tensor);
void WriteParameterValues(absl::Span<const float> values, onnx::TensorProto* tensor);

}  // namespace qbake

#endif  // QBAKE_CORE_PARAMETER_VALUES_H_
