// The activation half of a QDQ export (docs/EXPORT.md), as PPQ's ONNX Runtime
// exporter does it: every activation (a value that is no parameter) whose config is
// ACTIVATED or PASSIVE and LINEAR gets a QuantizeLinear -> DequantizeLinear pair with
// its scale and offset. A config of an operation's output puts the pair on the value
// for every consumer (a graph output keeps its name, now the pair's output); a config
// of an input, for that operation only, unless the value already has a pair with the
// same numbers from its producer: then it shares that one.
//
// ONNX's QuantizeLinear rounds half to even and saturates to its whole integer type,
// so a config that rounds otherwise or clamps to a narrower range than INT8 or UINT8
// has no exact ONNX form: it gets the nearest one (the integer type that holds its
// range, the offset rounded to a whole number) and a note of how it differs. Configs
// with no form at all (FLOATING, DYNAMIC, more than 8 bits, no scale) get none, and a
// note of why.
#ifndef QBAKE_CORE_ACTIVATION_QDQ_H_
#define QBAKE_CORE_ACTIVATION_QDQ_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/types/span.h"
#include "core/config_spec.h"
#include "core/graph_names.h"
#include "core/quant_config.h"
#include "onnx/onnx_pb.h"

namespace qbake {

struct QdqActivation {
  std::string operation;
  std::string variable;
  bool inserted = false;  // the activation has a QuantizeLinear -> DequantizeLinear pair
  bool shared = false;    // an input's: its producer's pair, with the same numbers
  // Empty for an exact pair; else how the pair differs from PPQ's quantization, or
  // why there is none.
  std::string note;
};

// Adds the pairs to `graph` (top level), given the configs of the model and the names
// of its parameters (initializers and Constant outputs before the export), which get
// none; a config's rounding is its own, else its platform's, else `default_rounding`.
// Returns one entry per config of an activation that is ACTIVATED or PASSIVE,
// in config order. Configs naming an operation or variable the graph lacks are
// skipped (the bake has validated them).
std::vector<QdqActivation> InsertActivationQdq(onnx::GraphProto* graph,
                                               absl::Span<const TensorConfigSpec> specs,
                                               const absl::flat_hash_set<std::string>& parameters,
                                               Rounding default_rounding, GraphNames* names);

}  // namespace qbake

#endif  // QBAKE_CORE_ACTIVATION_QDQ_H_
