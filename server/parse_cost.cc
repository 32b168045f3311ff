#include "server/parse_cost.h"

#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/message.h"
#include "google/protobuf/wire_format_lite.h"

namespace qbake {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;

// Per object: malloc's own header and rounding; per repeated entry: its slot in the
// field's array, which grows by doubling.
constexpr uint64_t kAllocationOverhead = 16;
constexpr uint64_t kRepeatedSlot = 16;
constexpr uint64_t kStringObject = 32;
// protobuf's own default recursion limit: deeper input does not parse.
constexpr int kMaxDepth = 100;

class CostWalker {
 public:
  bool Walk(const Descriptor& type, google::protobuf::io::CodedInputStream* in, int depth) {
    ++cost_.messages;
    cost_.memory_bytes += MessageBytes(type);
    while (true) {
      const uint32_t tag = in->ReadTag();
      if (tag == 0) return in->ConsumedEntireMessage();
      const FieldDescriptor* field =
          type.FindFieldByNumber(static_cast<int>(WireFormatLite::GetTagFieldNumber(tag)));
      const bool ok =
          WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED
              ? WalkDelimited(field, in, depth)
              : WalkScalar(field, tag, in);
      if (!ok) return false;
    }
  }

  ParseCost Result() {
    for (const auto& [field, entries] : entries_) {
      if (entries > cost_.busiest_entries) {
        cost_.busiest_entries = entries;
        cost_.busiest_field = field->full_name();
      }
    }
    return cost_;
  }

 private:
  // A message, a string, bytes, packed scalars or an unknown field's bytes.
  bool WalkDelimited(const FieldDescriptor* field, google::protobuf::io::CodedInputStream* in,
                     int depth) {
    uint32_t length = 0;
    if (!in->ReadVarint32(&length)) return false;
    if (field != nullptr && field->is_repeated()) cost_.memory_bytes += kRepeatedSlot;
    if (field == nullptr || field->type() != FieldDescriptor::TYPE_MESSAGE) {
      // Packed varints widen to 8 bytes each; anything else is kept as sent.
      const bool widens = field != nullptr && field->is_packable() &&
                          WireFormatLite::WireTypeForFieldType(
                              static_cast<WireFormatLite::FieldType>(field->type())) ==
                              WireFormatLite::WIRETYPE_VARINT;
      cost_.memory_bytes += kStringObject + uint64_t{length} * (widens ? 8 : 1);
      return in->Skip(static_cast<int>(length));
    }
    if (depth >= kMaxDepth) return false;
    if (field->is_repeated()) ++entries_[field];
    const auto limit = in->PushLimit(static_cast<int>(length));
    if (!Walk(*field->message_type(), in, depth + 1)) return false;
    in->PopLimit(limit);
    return true;
  }

  // A varint, a fixed-width value, or a group (none in ONNX: kept as unknown bytes).
  bool WalkScalar(const FieldDescriptor* field, uint32_t tag,
                  google::protobuf::io::CodedInputStream* in) {
    const int before = in->CurrentPosition();
    if (!WireFormatLite::SkipField(in, tag)) return false;
    if (field == nullptr) {
      cost_.memory_bytes += static_cast<uint64_t>(in->CurrentPosition() - before);
    } else if (field->is_repeated()) {
      cost_.memory_bytes += 8;
    }
    return true;
  }

  uint64_t MessageBytes(const Descriptor& type) {
    auto [known, inserted] = message_bytes_.try_emplace(&type, 0);
    if (inserted) {
      const google::protobuf::Message* prototype =
          google::protobuf::MessageFactory::generated_factory()->GetPrototype(&type);
      known->second = (prototype == nullptr ? 0 : prototype->SpaceUsedLong()) + kAllocationOverhead;
    }
    return known->second;
  }

  ParseCost cost_;
  absl::flat_hash_map<const FieldDescriptor*, uint64_t> entries_;
  absl::flat_hash_map<const Descriptor*, uint64_t> message_bytes_;
};

}  // namespace

ParseCost EstimateParseCost(const Descriptor& type, absl::string_view bytes) {
  const int size = static_cast<int>(
      std::min<size_t>(bytes.size(), static_cast<size_t>(std::numeric_limits<int>::max())));
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()), size);
  in.SetRecursionLimit(kMaxDepth);
  CostWalker walker;
  walker.Walk(type, &in, 0);
  return walker.Result();
}

}  // namespace qbake
