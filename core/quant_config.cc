#include "core/quant_config.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace qbake {
namespace {

constexpr std::array<std::pair<PolicyBit, absl::string_view>, 8> kPolicyNames = {{
    {kPerTensor, "PER_TENSOR"},
    {kPerChannel, "PER_CHANNEL"},
    {kLinear, "LINEAR"},
    {kFloating, "FLOATING"},
    {kSymmetrical, "SYMMETRICAL"},
    {kAsymmetrical, "ASYMMETRICAL"},
    {kPowerOf2, "POWER_OF_2"},
    {kDynamic, "DYNAMIC"},
}};

constexpr std::array<absl::string_view, 8> kRoundingNames = {
    "ROUND_HALF_EVEN",          "ROUND_HALF_UP",     "ROUND_HALF_DOWN", "ROUND_HALF_TOWARDS_ZERO",
    "ROUND_HALF_FAR_FORM_ZERO", "ROUND_TO_NEAR_INT", "ROUND_UP",        "ROUND_DOWN",
};

constexpr std::array<std::pair<QuantState, absl::string_view>, 11> kStateNames = {{
    {QuantState::kInitial, "INITIAL"},
    {QuantState::kBaked, "BAKED"},
    {QuantState::kOverlapped, "OVERLAPPED"},
    {QuantState::kActivated, "ACTIVATED"},
    {QuantState::kPassive, "PASSIVE"},
    {QuantState::kPassiveInit, "PASSIVE_INIT"},
    {QuantState::kPassiveBaked, "PASSIVE_BAKED"},
    {QuantState::kFp32, "FP32"},
    {QuantState::kSoi, "SOI"},
    {QuantState::kDequantized, "DEQUANTIZED"},
    {QuantState::kDeactived, "DEACTIVED"},
}};

}  // namespace

std::string PolicyToString(uint32_t policy) {
  std::vector<std::string> parts;
  uint32_t known = 0;
  for (const auto& [bit, name] : kPolicyNames) {
    known |= bit;
    if (policy & bit) parts.emplace_back(name);
  }
  if (policy & ~known) parts.push_back(absl::StrFormat("0x%x", policy & ~known));
  if (parts.empty()) return "(none)";
  return absl::StrJoin(parts, "|");
}

absl::StatusOr<PolicyBit> PolicyBitFromName(absl::string_view name) {
  for (const auto& [bit, known] : kPolicyNames) {
    if (name == known) return bit;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown policy property '", name, "'"));
}

bool IsValidPolicy(uint32_t policy) {
  const uint32_t granularity = policy & (kPerTensor | kPerChannel);
  if (granularity != kPerTensor && granularity != kPerChannel) return false;
  const uint32_t rest = policy & ~(kPerTensor | kPerChannel);
  if (rest == (kFloating | kSymmetrical | kPowerOf2)) return true;
  const uint32_t linear = rest & ~(kPowerOf2 | kDynamic);
  return linear == (kLinear | kSymmetrical) || linear == (kLinear | kAsymmetrical);
}

absl::string_view RoundingName(Rounding rounding) {
  return kRoundingNames[static_cast<int>(rounding)];
}

absl::StatusOr<Rounding> RoundingFromName(absl::string_view name) {
  if (name == "ROUND_HALF_FAR_FROM_ZERO") return Rounding::kHalfFarFromZero;
  for (size_t i = 0; i < kRoundingNames.size(); ++i) {
    if (name == kRoundingNames[i]) return static_cast<Rounding>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown rounding '", name, "' (expected one of ",
                                                 absl::StrJoin(kRoundingNames, ", "), ")"));
}

absl::StatusOr<Rounding> RoundingFromNumber(int64_t number) {
  if (number < 0 || number >= static_cast<int64_t>(kRoundingNames.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown rounding ", number, " (expected 0 to 7)"));
  }
  return static_cast<Rounding>(number);
}

absl::string_view StateName(QuantState state) {
  for (const auto& [known, name] : kStateNames) {
    if (known == state) return name;
  }
  return "UNKNOWN";
}

absl::StatusOr<QuantState> StateFromName(absl::string_view name) {
  for (const auto& [state, known] : kStateNames) {
    if (name == known) return state;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown state '", name, "'"));
}

absl::StatusOr<QuantState> StateFromNumber(int64_t number) {
  for (const auto& [state, name] : kStateNames) {
    if (static_cast<int64_t>(state) == number) return state;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown state ", number));
}

bool IsBakeable(QuantState state) {
  return state == QuantState::kActivated || state == QuantState::kPassive;
}

QuantState BakedState(QuantState state) {
  switch (state) {
    case QuantState::kActivated:
      return QuantState::kBaked;
    case QuantState::kPassive:
      return QuantState::kPassiveBaked;
    default:
      return state;
  }
}

}  // namespace qbake
