// What a bake returns: per config its new state and the scale/offset it used, and a
// summary with per-parameter quantization error.
#ifndef QBAKE_CORE_BAKE_OUTCOME_H_
#define QBAKE_CORE_BAKE_OUTCOME_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/quant_config.h"

namespace qbake {

// Index-aligned with the specs given to the bake.
struct ConfigOutcome {
  QuantState state_after = QuantState::kInitial;
  bool baked = false;
  // For baked configs, the float32 scale and offset used; empty otherwise.
  std::vector<float> scale;
  std::vector<float> offset;
  // True when scale/offset were derived (PASSIVE bias) or solved (DYNAMIC), not stated.
  bool scale_derived = false;
};

struct ParameterSummary {
  std::string operation;
  std::string variable;
  QuantState state_before = QuantState::kInitial;
  QuantState state_after = QuantState::kInitial;
  int32_t data_type = 0;  // onnx::TensorProto::DataType
  int64_t elements = 0;
  int64_t bytes = 0;
  double max_abs_error = 0;       // max |baked - original|
  double mean_squared_error = 0;  // mean (baked - original)^2, in double
};

struct BakeSummary {
  std::vector<ParameterSummary> parameters;  // in spec order
  int64_t configs = 0;                       // configs given
  int64_t baked = 0;                         // ACTIVATED -> BAKED
  int64_t passive_baked = 0;                 // PASSIVE -> PASSIVE_BAKED
  int64_t unchanged = 0;                     // returned with their state unchanged
  int64_t bytes = 0;                         // parameter bytes rewritten
  double bake_seconds = 0;
};

struct BakeOutcome {
  std::vector<ConfigOutcome> configs;
  BakeSummary summary;
};

}  // namespace qbake

#endif  // QBAKE_CORE_BAKE_OUTCOME_H_
