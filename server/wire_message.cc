#include "server/wire_message.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "server/parse_cost.h"

namespace qbake {
namespace {

// Whether `size` bytes walked as a `type` into `cost` may be parsed (the refusals
// ParseWireMessage states).
absl::Status CheckWalk(const ParseCost& cost, uint64_t size, absl::string_view what,
                       const google::protobuf::Descriptor& type) {
  if (size > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a valid ", type.full_name(), ": ",
                                                   size, " bytes exceed protobuf's 2 GiB limit"));
  }
  const uint64_t allowed = kMaxParseGrowth * size + kParseAllowanceBytes;
  if (cost.memory_bytes > allowed) {
    return absl::ResourceExhaustedError(absl::StrCat(
        what, ": its ", size, " bytes would take about ", cost.memory_bytes >> 20, " MiB parsed (",
        cost.messages, " messages, ", cost.busiest_entries, " of them in ", cost.busiest_field,
        "); the server parses what it receives into at most ", kMaxParseGrowth,
        " times its size plus ", kParseAllowanceBytes >> 20, " MiB"));
  }
  if (!cost.flaw.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": not a valid ", type.full_name(), ": ", cost.flaw));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseWireMessage(
    absl::FunctionRef<std::unique_ptr<google::protobuf::io::ZeroCopyInputStream>()> open,
    uint64_t size, absl::string_view what, google::protobuf::Message* out) {
  const google::protobuf::Descriptor& type = *out->GetDescriptor();
  absl::Status allowed = CheckWalk(EstimateParseCost(type, open().get(), size), size, what, type);
  if (!allowed.ok()) return allowed;
  if (!out->ParseFromZeroCopyStream(open().get())) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a valid ", type.full_name(),
                                                   " (protobuf refused its ", size, " bytes)"));
  }
  return absl::OkStatus();
}

absl::Status ParseWireMessage(absl::string_view bytes, absl::string_view what,
                              google::protobuf::Message* out) {
  const int size = static_cast<int>(
      std::min<size_t>(bytes.size(), static_cast<size_t>(std::numeric_limits<int>::max())));
  return ParseWireMessage(
      [&] { return std::make_unique<google::protobuf::io::ArrayInputStream>(bytes.data(), size); },
      bytes.size(), what, out);
}

}  // namespace qbake
