// The quantization config model of PPQ (BAKING.md section 1): policy bits, rounding,
// states, and a fully resolved tensor quantization config that the kernels consume.
// Numbers are PPQ's own; names round-trip through the *Name/*FromName functions.
#ifndef QBAKE_CORE_QUANT_CONFIG_H_
#define QBAKE_CORE_QUANT_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qbake {

enum PolicyBit : uint32_t {
  kPerTensor = 0x01,
  kPerChannel = 0x02,
  kLinear = 0x04,
  kFloating = 0x08,
  kSymmetrical = 0x10,
  kAsymmetrical = 0x20,
  kPowerOf2 = 0x40,
  kDynamic = 0x80,
};

// "PER_CHANNEL|LINEAR|SYMMETRICAL" for 0x16; unknown bits are shown in hex.
std::string PolicyToString(uint32_t policy);
absl::StatusOr<PolicyBit> PolicyBitFromName(absl::string_view name);
// True for exactly the 18 policy sets of BAKING.md section 1.
bool IsValidPolicy(uint32_t policy);

enum class Rounding : int {
  kHalfEven = 0,
  kHalfUp = 1,
  kHalfDown = 2,
  kHalfTowardsZero = 3,
  kHalfFarFromZero = 4,
  kToNearInt = 5,
  kUp = 6,
  kDown = 7,
};

// PPQ's spelling: "ROUND_HALF_FAR_FORM_ZERO" for kHalfFarFromZero.
absl::string_view RoundingName(Rounding rounding);
// Accepts PPQ's names (and ROUND_HALF_FAR_FROM_ZERO).
absl::StatusOr<Rounding> RoundingFromName(absl::string_view name);
absl::StatusOr<Rounding> RoundingFromNumber(int64_t number);

enum class QuantState : int {
  kInitial = 1,
  kBaked = 2,
  kOverlapped = 3,
  kActivated = 4,
  kPassive = 5,
  kPassiveInit = 6,
  kPassiveBaked = 7,
  kFp32 = 8,
  kSoi = -1,
  kDequantized = -2,
  kDeactived = -3,
};

absl::string_view StateName(QuantState state);
absl::StatusOr<QuantState> StateFromName(absl::string_view name);
absl::StatusOr<QuantState> StateFromNumber(int64_t number);
// ACTIVATED and PASSIVE configs of parameters are baked.
bool IsBakeable(QuantState state);
// ACTIVATED -> BAKED, PASSIVE -> PASSIVE_BAKED; any other state is returned as is.
QuantState BakedState(QuantState state);

// A tensor quantization config with every field resolved and validated against the
// tensor it applies to. `scale` and `offset` hold one value (per tensor) or one per
// channel along `channel_axis` (already normalized to 0..rank-1). DYNAMIC configs
// leave scale and offset empty: the kernel solves them.
struct TensorQuantConfig {
  uint32_t policy = kPerTensor | kLinear | kSymmetrical;
  Rounding rounding = Rounding::kHalfEven;
  int num_of_bits = 8;
  int exponent_bits = 0;
  double quant_min = -128;
  double quant_max = 127;
  std::vector<float> scale;
  std::vector<float> offset;
  int channel_axis = 0;
  QuantState state = QuantState::kActivated;

  bool Has(PolicyBit bit) const { return (policy & bit) != 0; }
  int mantissa_bits() const { return num_of_bits - exponent_bits - 1; }
};

}  // namespace qbake

#endif  // QBAKE_CORE_QUANT_CONFIG_H_
