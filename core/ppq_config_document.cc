#include "core/ppq_config_document.h"

#include <climits>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/config_error.h"
#include "core/json/json_member_index.h"
#include "core/json/ordered_json_parser.h"
#include "nlohmann/json.hpp"

namespace qbake {

using nlohmann::ordered_json;

struct PpqConfigDocument::Json {
  ordered_json document;
};

namespace {

// ---- JSON values.

// "string \"abc\"" for a scalar, "array" for a container.
std::string Describe(const ordered_json& value) {
  if (value.is_structured()) return value.type_name();
  return absl::StrCat(value.type_name(), " ", value.dump());
}

absl::Status Unexpected(absl::string_view expected, const ordered_json& value) {
  return absl::InvalidArgumentError(
      absl::StrCat("expected ", expected, ", found ", Describe(value)));
}

// ---- Field values: each converter's message says what it expected and found.

// The value of an integer that fits int64_t.
std::optional<int64_t> Int64Of(const ordered_json& value) {
  if (!value.is_number_integer()) return std::nullopt;
  if (value.is_number_unsigned() && value.get<uint64_t>() > INT64_MAX) return std::nullopt;
  return value.get<int64_t>();
}

absl::StatusOr<int> AsInt(const ordered_json& value) {
  const std::optional<int64_t> number = Int64Of(value);
  if (!number || *number < INT_MIN || *number > INT_MAX) {
    return Unexpected("an integer in int range", value);
  }
  return static_cast<int>(*number);
}

absl::StatusOr<double> AsNumber(const ordered_json& value) {
  if (!value.is_number()) return Unexpected("a number", value);
  return value.get<double>();
}

// A number, or a list of numbers.
absl::StatusOr<std::vector<double>> AsNumbers(const ordered_json& value) {
  if (value.is_number()) return std::vector<double>{value.get<double>()};
  if (!value.is_array()) return Unexpected("a number or a list of numbers", value);
  std::vector<double> numbers;
  numbers.reserve(value.size());
  for (const ordered_json& element : value) {
    if (!element.is_number()) return Unexpected("a list of numbers with every element", element);
    numbers.push_back(element.get<double>());
  }
  return numbers;
}

// The text of an integer key (hash, dominator), as the keys of "values" spell it.
absl::StatusOr<std::string> AsKey(const ordered_json& value) {
  if (!value.is_number_integer()) return Unexpected("an integer", value);
  return value.dump();
}

// PPQ's form: {"PER_TENSOR": true, "LINEAR": true, ...}.
absl::StatusOr<uint32_t> PolicyFromFlags(const ordered_json& flags) {
  uint32_t policy = 0;
  for (const auto& flag : flags.items()) {
    absl::StatusOr<PolicyBit> bit = PolicyBitFromName(flag.key());
    if (!bit.ok()) return bit.status();
    if (!flag.value().is_boolean()) {
      return Unexpected(absl::StrCat("true or false for '", flag.key(), "'"), flag.value());
    }
    if (flag.value().get<bool>()) policy |= *bit;
  }
  return policy;
}

// ["PER_TENSOR", "LINEAR", ...]
absl::StatusOr<uint32_t> PolicyFromNames(const ordered_json& names) {
  uint32_t policy = 0;
  for (const ordered_json& name : names) {
    if (!name.is_string()) return Unexpected("a list of policy property names", name);
    absl::StatusOr<PolicyBit> bit = PolicyBitFromName(name.get<std::string>());
    if (!bit.ok()) return bit.status();
    policy |= *bit;
  }
  return policy;
}

absl::StatusOr<uint32_t> PolicyFromBits(const ordered_json& bits) {
  const std::optional<int64_t> number = Int64Of(bits);
  if (!number || *number < 0 || *number > UINT32_MAX) {
    return Unexpected("a policy bit set of 32 bits", bits);
  }
  return static_cast<uint32_t>(*number);
}

// PPQ's dictionary of property names to booleans, a list of names, or the bit set.
absl::StatusOr<uint32_t> AsPolicy(const ordered_json& value) {
  if (value.is_object()) return PolicyFromFlags(value);
  if (value.is_array()) return PolicyFromNames(value);
  if (value.is_number_integer()) return PolicyFromBits(value);
  return Unexpected(
      "a dictionary of policy property names to booleans, a list of names or an integer bit set",
      value);
}

absl::StatusOr<QuantState> AsState(const ordered_json& value) {
  if (value.is_string()) return StateFromName(value.get<std::string>());
  if (const std::optional<int64_t> number = Int64Of(value)) return StateFromNumber(*number);
  return Unexpected("a state name or number", value);
}

absl::StatusOr<Rounding> AsRounding(const ordered_json& value) {
  if (value.is_string()) return RoundingFromName(value.get<std::string>());
  if (const std::optional<int64_t> number = Int64Of(value)) return RoundingFromNumber(*number);
  return Unexpected("a rounding name or number", value);
}

// ---- Reading the fields of one object that belongs to a config.

// Reads the fields of `object` (a config, or its entry in "values"), finding them
// through `members`; every error is a ConfigError naming the config's operation and
// variable and the field.
class FieldReader {
 public:
  FieldReader(JsonMemberIndex& members, const std::string& operation, const std::string& variable,
              const ordered_json& object, std::string where = "")
      : members_(members),
        operation_(operation),
        variable_(variable),
        object_(object),
        where_(std::move(where)) {}

  JsonMemberIndex& members() const { return members_; }

  bool Has(const char* field) const { return members_.Find(object_, field) != nullptr; }

  template <typename T>
  absl::Status Required(const char* field, absl::StatusOr<T> (*convert)(const ordered_json&),
                        T* out) const {
    const ordered_json* value = members_.Find(object_, field);
    if (value == nullptr) return Error(field, "missing; PPQ's config document requires it");
    return Convert(field, *value, convert, out);
  }

  // Leaves `out` as it is when the field is absent.
  template <typename T, typename Out>
  absl::Status Optional(const char* field, absl::StatusOr<T> (*convert)(const ordered_json&),
                        Out* out) const {
    const ordered_json* value = members_.Find(object_, field);
    return value == nullptr ? absl::OkStatus() : Convert(field, *value, convert, out);
  }

  // A reader of another object that belongs to the same config; `where` tells a user
  // where the field is.
  FieldReader Nested(const ordered_json& object, std::string where) const {
    return FieldReader(members_, operation_, variable_, object, std::move(where));
  }

  absl::Status Error(absl::string_view field, absl::string_view message) const {
    return ConfigError(operation_, variable_, field, absl::StrCat(where_, message));
  }

 private:
  template <typename T, typename Out>
  absl::Status Convert(absl::string_view field, const ordered_json& value,
                       absl::StatusOr<T> (*convert)(const ordered_json&), Out* out) const {
    absl::StatusOr<T> converted = convert(value);
    if (!converted.ok()) return Error(field, converted.status().message());
    *out = *std::move(converted);
    return absl::OkStatus();
  }

  JsonMemberIndex& members_;
  const std::string& operation_;
  const std::string& variable_;
  const ordered_json& object_;
  std::string where_;
};

// The entry of "values" for this config: values[dominator], else values[hash]; nullptr
// when neither names one.
absl::StatusOr<const ordered_json*> ValuesEntry(const FieldReader& config,
                                                const ordered_json* values) {
  for (const char* field : {"dominator", "hash"}) {
    std::optional<std::string> key;
    if (absl::Status status = config.Optional(field, AsKey, &key); !status.ok()) return status;
    if (key && values != nullptr) {
      if (const ordered_json* entry = config.members().Find(*values, *key)) return entry;
    }
  }
  return nullptr;
}

absl::Status ReadScaleAndZeroPoint(const FieldReader& reader, TensorConfigSpec* spec) {
  absl::Status status = reader.Optional("scale", AsNumbers, &spec->scale);
  if (status.ok()) status = reader.Optional("zero_point", AsNumbers, &spec->offset);
  return status;
}

// Inline scale and zero_point, else those of the config's entry in "values".
absl::Status ReadQuantization(const FieldReader& config, const ordered_json* values,
                              TensorConfigSpec* spec) {
  if (config.Has("scale") || config.Has("zero_point")) return ReadScaleAndZeroPoint(config, spec);
  absl::StatusOr<const ordered_json*> entry = ValuesEntry(config, values);
  if (!entry.ok()) return entry.status();
  if (*entry == nullptr) return absl::OkStatus();
  if (!(*entry)->is_object()) {
    return config.Error("scale", absl::StrCat("its \"values\" entry must be an object with "
                                              "\"scale\" and \"zero_point\", found ",
                                              Describe(**entry)));
  }
  return ReadScaleAndZeroPoint(config.Nested(**entry, "in its \"values\" entry: "), spec);
}

absl::StatusOr<TensorConfigSpec> ReadSpec(JsonMemberIndex& members, const std::string& operation,
                                          const std::string& variable, const ordered_json& tqc,
                                          const ordered_json* values) {
  TensorConfigSpec spec;
  spec.operation = operation;
  spec.variable = variable;
  const FieldReader reader(members, operation, variable, tqc);
  if (!tqc.is_object()) {
    return reader.Error("configs", absl::StrCat("expected an object, found ", Describe(tqc)));
  }
  absl::Status status = reader.Required("bit_width", AsInt, &spec.num_of_bits);
  if (status.ok()) status = reader.Required("policy", AsPolicy, &spec.policy);
  if (status.ok()) status = reader.Required("state", AsState, &spec.state);
  if (status.ok()) status = reader.Required("quant_min", AsNumber, &spec.quant_min);
  if (status.ok()) status = reader.Required("quant_max", AsNumber, &spec.quant_max);
  if (status.ok()) status = reader.Optional("rounding", AsRounding, &spec.rounding);
  if (status.ok()) status = reader.Optional("channel_axis", AsInt, &spec.channel_axis);
  if (status.ok()) status = reader.Optional("exponent_bits", AsInt, &spec.exponent_bits);
  if (status.ok()) status = ReadQuantization(reader, values, &spec);
  if (!status.ok()) return status;
  return spec;
}

// ---- The document.

// The member `key` of the root object; nullptr when absent and optional.
absl::StatusOr<const ordered_json*> TopLevelObject(JsonMemberIndex& members,
                                                   const ordered_json& root, const char* key,
                                                   bool required) {
  const ordered_json* member = members.Find(root, key);
  if (member == nullptr && !required) return nullptr;
  if (member == nullptr || !member->is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the config document's \"", key, "\" must be an object, found ",
                     member == nullptr ? "nothing" : Describe(*member)));
  }
  return member;
}

// The platform "dispatchings" assigns to the operation, if any.
absl::StatusOr<std::optional<std::string>> Platform(JsonMemberIndex& members,
                                                    const std::string& operation,
                                                    const ordered_json* dispatchings) {
  const ordered_json* platform = dispatchings ? members.Find(*dispatchings, operation) : nullptr;
  if (platform == nullptr) return std::nullopt;
  if (!platform->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("dispatchings of operation '", operation,
                                                   "' must be a platform name, found ",
                                                   Describe(*platform)));
  }
  return platform->get<std::string>();
}

absl::Status ReadOperation(JsonMemberIndex& members, const std::string& operation,
                           const ordered_json& variables, const ordered_json* dispatchings,
                           const ordered_json* values, std::vector<TensorConfigSpec>* specs) {
  if (!variables.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("configs of operation '", operation,
                     "' must be an object of variable configs, found ", Describe(variables)));
  }
  absl::StatusOr<std::optional<std::string>> platform = Platform(members, operation, dispatchings);
  if (!platform.ok()) return platform.status();
  for (const auto& variable : variables.items()) {
    absl::StatusOr<TensorConfigSpec> spec =
        ReadSpec(members, operation, variable.key(), variable.value(), values);
    if (!spec.ok()) return spec.status();
    spec->platform = *platform;
    specs->push_back(*std::move(spec));
  }
  return absl::OkStatus();
}

// Every member is found through one JsonMemberIndex, so each lookup costs O(1) however
// many configs, values entries or dispatchings the document holds.
absl::StatusOr<std::vector<TensorConfigSpec>> ReadSpecs(const ordered_json& root) {
  JsonMemberIndex members;
  if (!root.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the config document must be a JSON object with \"configs\", found ", Describe(root)));
  }
  absl::StatusOr<const ordered_json*> configs = TopLevelObject(members, root, "configs", true);
  if (!configs.ok()) return configs.status();
  absl::StatusOr<const ordered_json*> dispatchings =
      TopLevelObject(members, root, "dispatchings", false);
  if (!dispatchings.ok()) return dispatchings.status();
  absl::StatusOr<const ordered_json*> values = TopLevelObject(members, root, "values", false);
  if (!values.ok()) return values.status();
  std::vector<TensorConfigSpec> specs;
  for (const auto& operation : (*configs)->items()) {
    absl::Status status =
        ReadOperation(members, operation.key(), operation.value(), *dispatchings, *values, &specs);
    if (!status.ok()) return status;
  }
  return specs;
}

ordered_json FloatList(const std::vector<float>& values) {
  ordered_json list = ordered_json::array();
  for (float value : values) list.push_back(static_cast<double>(value));
  return list;
}

void ApplyOutcome(const ConfigOutcome& outcome, ordered_json* tqc) {
  ordered_json& state = (*tqc)["state"];
  if (state.is_number()) {
    state = static_cast<int>(outcome.state_after);
  } else {
    state = std::string(StateName(outcome.state_after));
  }
  if (!outcome.scale_derived) return;
  (*tqc)["scale"] = FloatList(outcome.scale);
  (*tqc)["zero_point"] = FloatList(
      outcome.offset.empty() ? std::vector<float>(outcome.scale.size(), 0.0f) : outcome.offset);
}

}  // namespace

PpqConfigDocument::PpqConfigDocument() : json_(std::make_unique<Json>()) {}
PpqConfigDocument::PpqConfigDocument(PpqConfigDocument&&) noexcept = default;
PpqConfigDocument& PpqConfigDocument::operator=(PpqConfigDocument&&) noexcept = default;
PpqConfigDocument::~PpqConfigDocument() = default;

absl::StatusOr<PpqConfigDocument> PpqConfigDocument::ParseDocument(absl::string_view json) {
  try {
    absl::StatusOr<ordered_json> parsed = ParseOrderedJson(json, kMaxNestingDepth);
    if (!parsed.ok()) return parsed.status();
    absl::StatusOr<std::vector<TensorConfigSpec>> specs = ReadSpecs(*parsed);
    if (!specs.ok()) return specs.status();
    PpqConfigDocument document;
    document.json_->document = *std::move(parsed);
    document.specs_ = *std::move(specs);
    return document;
  } catch (const std::exception& error) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read the config document: ", error.what()));
  }
}

absl::StatusOr<PpqConfigDocument> PpqConfigDocument::Parse(absl::string_view json) {
  absl::StatusOr<PpqConfigDocument> document = ParseDocument(json);
  if (!document.ok()) return WithReason(document.status(), error_reason::kConfigInvalid);
  return document;
}

std::string PpqConfigDocument::Render(absl::Span<const ConfigOutcome> outcomes) const {
  ordered_json document = json_->document;
  size_t index = 0;
  for (ordered_json& variables : document["configs"]) {
    for (ordered_json& tqc : variables) {
      if (index < outcomes.size()) ApplyOutcome(outcomes[index], &tqc);
      ++index;
    }
  }
  // PPQ writes the file with Python's json.dump(..., indent=4): ASCII only.
  return document.dump(4, ' ', /*ensure_ascii=*/true, ordered_json::error_handler_t::replace);
}

}  // namespace qbake
