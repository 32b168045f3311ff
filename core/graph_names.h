// The names a graph already uses (values: inputs, outputs, initializers, node
// outputs, in its subgraphs too; and node names), so that what an export adds to it
// gets names of its own.
#ifndef QBAKE_CORE_GRAPH_NAMES_H_
#define QBAKE_CORE_GRAPH_NAMES_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "onnx/onnx_pb.h"

namespace qbake {

class GraphNames {
 public:
  explicit GraphNames(const onnx::GraphProto& graph);

  // `wanted` when unused, else `wanted` with the first free suffix "_1", "_2", ...;
  // the name returned is used from then on.
  std::string Claim(absl::string_view wanted);

 private:
  void Collect(const onnx::GraphProto& graph);

  absl::flat_hash_set<std::string> used_;
};

}  // namespace qbake

#endif  // QBAKE_CORE_GRAPH_NAMES_H_
