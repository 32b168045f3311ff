// Resolves stated configs (TensorConfigSpec) against a graph into kernel-ready
// TensorQuantConfigs, following BAKING.md sections 2 and 4: validation of every
// field, scale and offset, rounding (inline, platform, default), channel axis
// (inline, PPQ's convention, the only matching dimension), exponent bits, and
// PASSIVE biases derived from their operation's input and weight scales.
// Every error is a ConfigError naming the operation, the variable and the field.
#ifndef QBAKE_CORE_CONFIG_RESOLVER_H_
#define QBAKE_CORE_CONFIG_RESOLVER_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/config_spec.h"
#include "core/graph_index.h"
#include "core/quant_config.h"

namespace qbake {

// One config that will be baked.
struct ResolvedConfig {
  size_t spec_index = 0;              // index into the specs given to Resolve
  ParameterRef* parameter = nullptr;  // the parameter it rewrites
  TensorQuantConfig config;
  bool scale_derived = false;  // scale/offset derived (PASSIVE bias), not stated
};

// The rounding PPQ's platform uses: NCNN_INT8, MNN_INT8, ASC_INT8 round half far
// from zero, NXP_INT8 half up, every other platform half even.
Rounding PlatformRounding(absl::string_view platform);

class ConfigResolver {
 public:
  ConfigResolver(GraphIndex* graph, Rounding default_rounding)
      : graph_(graph), default_rounding_(default_rounding) {}

  // Validates every spec (operation and variable exist, the policy is valid) and
  // resolves the ones to bake: a parameter whose state is ACTIVATED or PASSIVE.
  // Fails on the first error in spec order. A parameter to bake that feeds more
  // than one node, or whose element type is not FLOAT, FLOAT16 or BFLOAT16, is an error.
  absl::StatusOr<std::vector<ResolvedConfig>> Resolve(
      absl::Span<const TensorConfigSpec> specs) const;

 private:
  GraphIndex* graph_;
  Rounding default_rounding_;
};

}  // namespace qbake

#endif  // QBAKE_CORE_CONFIG_RESOLVER_H_
