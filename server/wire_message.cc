#include "server/wire_message.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace qbake {

absl::Status CheckWireMessage(const ParseCost& cost, uint64_t size, absl::string_view what,
                              const google::protobuf::Descriptor& type) {
  if (size > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a valid ", type.full_name(), ": ",
                                                   size, " bytes exceed protobuf's 2 GiB limit"));
  }
  const uint64_t allowed = kMaxParseGrowth * size + kParseAllowanceBytes;
  if (cost.memory_bytes > allowed) {
    return absl::ResourceExhaustedError(absl::StrCat(
        what, ": its ", size, " bytes would take about ", cost.memory_bytes >> 20,
        " MiB parsed (", cost.messages, " messages, ", cost.busiest_entries, " of them in ",
        cost.busiest_field, "); the server parses what it receives into at most ",
        kMaxParseGrowth, " times its size plus ", kParseAllowanceBytes >> 20, " MiB"));
  }
  if (!cost.flaw.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": not a valid ", type.full_name(), ": ", cost.flaw));
  }
  return absl::OkStatus();
}

absl::Status ParseWireMessage(absl::string_view bytes, absl::string_view what,
                              google::protobuf::Message* out) {
  const google::protobuf::Descriptor& type = *out->GetDescriptor();
  absl::Status allowed =
      CheckWireMessage(EstimateParseCost(type, bytes), bytes.size(), what, type);
  if (!allowed.ok()) return allowed;
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a valid ", type.full_name(),
                                                   " (protobuf refused its ", bytes.size(),
                                                   " bytes)"));
  }
  return absl::OkStatus();
}

}  // namespace qbake
