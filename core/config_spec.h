// A tensor quantization config as a caller states it, before resolution against the
// graph: what PPQ's config document or a gRPC request carries for one
// (operation, variable) pair. Optional fields are filled by ConfigResolver.
#ifndef QBAKE_CORE_CONFIG_SPEC_H_
#define QBAKE_CORE_CONFIG_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/quant_config.h"

namespace qbake {

struct TensorConfigSpec {
  std::string operation;
  std::string variable;
  uint32_t policy = 0;
  int num_of_bits = 8;
  double quant_min = -128;
  double quant_max = 127;
  QuantState state = QuantState::kInitial;
  std::optional<Rounding> rounding;     // inline rounding, if stated
  std::optional<std::string> platform;  // the operation's platform, if dispatched
  std::optional<int> channel_axis;      // as stated; may be negative
  std::optional<int> exponent_bits;
  // Empty when not given. Kept in double as read; narrowed to float32 on resolution.
  std::vector<double> scale;
  std::vector<double> offset;
};

}  // namespace qbake

#endif  // QBAKE_CORE_CONFIG_SPEC_H_
