#include "core/graph_names.h"

#include "absl/strings/str_cat.h"

namespace qbake {

GraphNames::GraphNames(const onnx::GraphProto& graph) { Collect(graph); }

void GraphNames::Collect(const onnx::GraphProto& graph) {
  for (const auto& value : graph.input()) used_.insert(value.name());
  for (const auto& value : graph.output()) used_.insert(value.name());
  for (const auto& tensor : graph.initializer()) used_.insert(tensor.name());
  for (const auto& node : graph.node()) {
    used_.insert(node.name());
    for (const auto& output : node.output()) used_.insert(output);
    for (const auto& attribute : node.attribute()) {
      if (attribute.has_g()) Collect(attribute.g());
      for (const auto& subgraph : attribute.graphs()) Collect(subgraph);
    }
  }
}

std::string GraphNames::Claim(absl::string_view wanted) {
  std::string name(wanted);
  for (int suffix = 1; used_.contains(name); ++suffix) name = absl::StrCat(wanted, "_", suffix);
  used_.insert(name);
  return name;
}

}  // namespace qbake
