// An index over the top-level graph of an ONNX model: nodes by name, and parameters
// (initializers, and the `value` tensors of Constant nodes, named by the node's
// output) with the nodes that consume them. The index points into the model; the
// model must outlive it and keep its structure (tensor contents may change).
// Nodes without a name, and parameters without a name, are not indexed; when a name
// repeats, the first node (or the initializer before a Constant) wins. Constant
// nodes holding value_float, value_ints, ... are not parameters.
#ifndef QBAKE_CORE_GRAPH_INDEX_H_
#define QBAKE_CORE_GRAPH_INDEX_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "onnx/onnx_pb.h"

namespace qbake {

struct ParameterRef {
  std::string name;
  onnx::TensorProto* tensor = nullptr;  // the initializer or the Constant's value
  bool in_constant_node = false;
  std::vector<const onnx::NodeProto*> consumers;  // one entry per consuming input slot
};

class GraphIndex {
 public:
  explicit GraphIndex(onnx::GraphProto* graph);

  GraphIndex(const GraphIndex&) = delete;
  GraphIndex& operator=(const GraphIndex&) = delete;

  // nullptr when absent. Nodes are matched by NodeProto::name.
  const onnx::NodeProto* FindNode(absl::string_view name) const;
  ParameterRef* FindParameter(absl::string_view name);
  const ParameterRef* FindParameter(absl::string_view name) const;

 private:
  absl::flat_hash_map<std::string, const onnx::NodeProto*> nodes_;
  absl::flat_hash_map<std::string, ParameterRef> parameters_;
};

}  // namespace qbake

#endif  // QBAKE_CORE_GRAPH_INDEX_H_
