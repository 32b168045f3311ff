#include "server/parse_cost.h"

#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/wire_format_lite.h"

namespace qbake {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// Per object: malloc's own header and rounding; per repeated entry: its slot in the
// field's array, which grows by doubling.
constexpr uint64_t kAllocationOverhead = 16;
constexpr uint64_t kRepeatedSlot = 16;
constexpr uint64_t kStringObject = 32;
// protobuf's parser reads tags and lengths of at most 5 bytes.
constexpr int kMaxVarint32Bytes = 5;

// The wire type of a packed repeated scalar field's values; -1 for any other field.
int PackedWireType(const FieldDescriptor& field) {
  if (!field.is_repeated() || !field.is_packable()) return -1;
  return WireFormatLite::WireTypeForFieldType(static_cast<WireFormatLite::FieldType>(field.type()));
}

// proto3 string fields must hold UTF-8; protobuf refuses them otherwise.
bool MustBeUtf8(const FieldDescriptor& field) {
  return field.type() == FieldDescriptor::TYPE_STRING &&
         field.file()->syntax() == FileDescriptor::SYNTAX_PROTO3;
}

class CostWalker {
 public:
  bool Walk(const Descriptor& type, CodedInputStream* in) {
    ++cost_.messages;
    cost_.memory_bytes += MessageBytes(type);
    return WalkFields(&type, in, 0);
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
  bool Flaw(std::string flaw) {
    cost_.flaw = std::move(flaw);
    return false;
  }

  // A message, a string, bytes, packed scalars or an unknown field's bytes.
  bool WalkDelimited(const FieldDescriptor* field, const std::string& name, int at,
                     CodedInputStream* in) {
    uint64_t length = 0;
    const int length_at = in->CurrentPosition();
    if (!in->ReadVarint64(&length) || in->CurrentPosition() - length_at > kMaxVarint32Bytes) {
      return Flaw(absl::StrCat(name, " at byte ", at, ": its length is not a valid varint"));
    }
    const auto remaining = static_cast<uint64_t>(in->BytesUntilLimit());
    if (length > remaining) {
      return Flaw(absl::StrCat(name, " at byte ", at, " declares ", length, " bytes where ",
                               remaining, " remain"));
    }
    const int size = static_cast<int>(length);
    if (field != nullptr && field->is_repeated()) cost_.memory_bytes += kRepeatedSlot;
    if (field != nullptr && field->type() == FieldDescriptor::TYPE_MESSAGE) {
      if (!in->IncrementRecursionDepth()) return Flaw(NestedTooDeep(name, at));
      if (field->is_repeated()) ++entries_[field];
      const auto limit = in->PushLimit(size);
      if (!Walk(*field->message_type(), in)) return false;
      in->DecrementRecursionDepth();
      in->PopLimit(limit);
      return true;
    }
    const int packed = field != nullptr ? PackedWireType(*field) : -1;
    if (packed == WireFormatLite::WIRETYPE_VARINT) return WalkPackedVarints(name, at, size, in);
    const int width = packed == WireFormatLite::WIRETYPE_FIXED32   ? 4
                      : packed == WireFormatLite::WIRETYPE_FIXED64 ? 8
                                                                   : 1;
    if (size % width != 0) {
      return Flaw(absl::StrCat(name, " at byte ", at, ": ", size,
                               " bytes are not a whole number of ", width, "-byte values"));
    }
    cost_.memory_bytes += kStringObject + length;
    if (field == nullptr || !MustBeUtf8(*field)) return in->Skip(size);
    std::string text;
    if (!in->ReadString(&text, size)) return false;
    if (!google::protobuf::internal::IsStructurallyValidUTF8(text)) {
      return Flaw(absl::StrCat(name, " at byte ", at, ": not valid UTF-8"));
    }
    return true;
  }

  // Each packed varint widens to 8 bytes parsed.
  bool WalkPackedVarints(const std::string& name, int at, int size, CodedInputStream* in) {
    const auto limit = in->PushLimit(size);
    uint64_t value = 0;
    while (in->BytesUntilLimit() > 0) {
      if (!in->ReadVarint64(&value)) {
        return Flaw(absl::StrCat(name, " at byte ", at, ": a packed value is not a valid varint"));
      }
      cost_.memory_bytes += 8;
    }
    in->PopLimit(limit);
    return true;
  }

  // The fields of a message of `type`, or of a group (`type` null: its fields are
  // unknown ones) until the end-group tag of field `group`.
  bool WalkFields(const Descriptor* type, CodedInputStream* in, int group) {
    const std::string owner = type != nullptr ? type->full_name() : "a group";
    while (true) {
      const int at = in->CurrentPosition();
      const uint32_t tag = in->ReadTag();
      if (tag == 0 && in->ConsumedEntireMessage()) {
        return group == 0 || Flaw(absl::StrCat("the group of field ", group, " never ends"));
      }
      const int number = static_cast<int>(WireFormatLite::GetTagFieldNumber(tag));
      // protobuf reads a tag of at most 5 bytes; CodedInputStream takes up to 10.
      if (number == 0 || in->CurrentPosition() - at > kMaxVarint32Bytes) {
        return Flaw(absl::StrCat("no valid field tag at byte ", at, " in ", owner));
      }
      const FieldDescriptor* field = type != nullptr ? type->FindFieldByNumber(number) : nullptr;
      const std::string name =
          field != nullptr ? field->full_name() : absl::StrCat("field ", number, " of ", owner);
      const auto wire_type = WireFormatLite::GetTagWireType(tag);
      if (wire_type == WireFormatLite::WIRETYPE_END_GROUP && number == group) return true;
      if (!WalkField(field, name, at, wire_type, number, in)) return false;
    }
  }

  // One field's value; unknown fields and repeated scalars cost what they keep.
  bool WalkField(const FieldDescriptor* field, const std::string& name, int at,
                 WireFormatLite::WireType wire_type, int number, CodedInputStream* in) {
    const int before = in->CurrentPosition();
    switch (wire_type) {
      case WireFormatLite::WIRETYPE_LENGTH_DELIMITED:
        return WalkDelimited(field, name, at, in);
      case WireFormatLite::WIRETYPE_START_GROUP:
        // Messages and groups share one nesting budget, as in protobuf's parser.
        if (!in->IncrementRecursionDepth()) return Flaw(NestedTooDeep(name, at));
        if (!WalkFields(nullptr, in, number)) return false;
        in->DecrementRecursionDepth();
        break;
      case WireFormatLite::WIRETYPE_VARINT: {
        uint64_t value = 0;
        if (!in->ReadVarint64(&value)) {
          return Flaw(absl::StrCat(name, " at byte ", at, ": its value is not a valid varint"));
        }
        break;
      }
      case WireFormatLite::WIRETYPE_FIXED64:
      case WireFormatLite::WIRETYPE_FIXED32:
        if (!in->Skip(wire_type == WireFormatLite::WIRETYPE_FIXED64 ? 8 : 4)) {
          return Flaw(absl::StrCat(name, " at byte ", at, ": its value is cut short"));
        }
        break;
      default:  // an end-group tag that ends no group, or wire type 6 or 7
        return Flaw(
            absl::StrCat(name, " at byte ", at, ": wire type ", wire_type, " is not valid here"));
    }
    if (field == nullptr) {
      cost_.memory_bytes += static_cast<uint64_t>(in->CurrentPosition() - before);
    } else if (field->is_repeated()) {
      cost_.memory_bytes += 8;
    }
    return true;
  }

  static std::string NestedTooDeep(const std::string& name, int at) {
    return absl::StrCat(name, " at byte ", at, ": messages and groups nested deeper than ",
                        kMaxMessageDepth);
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

ParseCost EstimateParseCost(const Descriptor& type,
                            google::protobuf::io::ZeroCopyInputStream* bytes, uint64_t size) {
  CodedInputStream in(bytes);
  in.SetRecursionLimit(kMaxMessageDepth);
  in.PushLimit(static_cast<int>(std::min<uint64_t>(size, std::numeric_limits<int>::max())));
  CostWalker walker;
  walker.Walk(type, &in);
  return walker.Result();
}

ParseCost EstimateParseCost(const Descriptor& type, absl::string_view bytes) {
  const int size = static_cast<int>(
      std::min<size_t>(bytes.size(), static_cast<size_t>(std::numeric_limits<int>::max())));
  google::protobuf::io::ArrayInputStream stream(bytes.data(), size);
  return EstimateParseCost(type, &stream, static_cast<uint64_t>(size));
}

}  // namespace qbake
