#include "tests/fuzz/bake_request_input.h"

#include <utility>

namespace qbake::fuzz {

std::optional<BakeRequestInput> ReadBakeRequestInput(const uint8_t* data, size_t size) {
  BakeRequestInput input;
  if (!input.request.ParseFromArray(data, static_cast<int>(size))) return std::nullopt;
  absl::StatusOr<BakeSettings> settings = SettingsFromWire(
      input.request.configs(), input.request.ppq_config_json(), input.request.options());
  if (!settings.ok() || !input.model.ParseFromString(input.request.model())) return std::nullopt;
  input.settings = *std::move(settings);
  return input;
}

}  // namespace qbake::fuzz
