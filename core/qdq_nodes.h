// What both halves of a QDQ export add to a graph (core/qdq_export.h,
// core/activation_qdq.h): QuantizeLinear and DequantizeLinear nodes and their scale
// and zero-point initializers. With `axis` the quantization is per axis (an `axis`
// attribute, 1-D initializers of `count` values); without, per tensor (no attribute,
// scalar initializers).
#ifndef QBAKE_CORE_QDQ_NODES_H_
#define QBAKE_CORE_QDQ_NODES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "onnx/onnx_pb.h"

namespace qbake {

// A QuantizeLinear or DequantizeLinear node (`op_type`) of default domain.
onnx::NodeProto QdqNode(const std::string& op_type, const std::string& name,
                        const std::vector<std::string>& inputs, const std::string& output,
                        const std::optional<int>& axis);

// Adds an initializer holding `raw_data` (`count` values of `data_type`).
void AddQdqInitializer(onnx::GraphProto* graph, const std::string& name, int32_t data_type,
                       const std::optional<int>& axis, size_t count, std::string raw_data);

// The little-endian bytes of float32 values (raw_data).
std::string FloatsRawData(absl::Span<const float> values);

}  // namespace qbake

#endif  // QBAKE_CORE_QDQ_NODES_H_
