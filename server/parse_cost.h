// What parsing untrusted protobuf bytes would cost in memory, and where they would
// fail to parse, found without parsing them. A parsed message takes far more memory
// than its bytes on the wire when they hold many small messages: an empty
// onnx.TensorProto is 2 bytes sent and about 250 bytes parsed, so 4 MB of empty
// initializers parse into about 500 MB. And protobuf's parser says only that bytes
// do not parse, not where or why. The server asks this first, refuses what would
// amplify, and names what is malformed.
#ifndef QBAKE_SERVER_PARSE_COST_H_
#define QBAKE_SERVER_PARSE_COST_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/zero_copy_stream.h"

namespace qbake {

struct ParseCost {
  uint64_t memory_bytes = 0;  // an estimate: objects, strings and repeated slots
  uint64_t messages = 0;      // messages parsing would create, the outermost included
  // The repeated message field with the most entries ("onnx.GraphProto.initializer"),
  // and their number; empty with 0 when there is none.
  std::string busiest_field;
  uint64_t busiest_entries = 0;
  // Empty when the bytes are well-formed; else the first thing that is not, with its
  // field and byte offset ("onnx.TensorProto.raw_data at byte 17 declares
  // 2147483648 bytes where 5 remain").
  std::string flaw;
};

// Messages nested deeper than this do not parse (protobuf's own default limit).
inline constexpr int kMaxMessageDepth = 100;

// Walks `size` bytes of `bytes` as a serialized message of `type` (its fields known
// from the descriptor, unknown ones counted as kept bytes) in time linear in their
// size, copying nothing but proto3 strings. The walk ends at the first flaw, with the
// cost counted so far. It finds a flaw exactly where protobuf's parser refuses:
// tags and lengths longer than 5 bytes, tags of field 0 or no valid wire type,
// lengths past the end, varints, nesting of messages and groups past 100 together,
// groups never ended, packed scalar lengths, and UTF-8 in proto3 string fields.
ParseCost EstimateParseCost(const google::protobuf::Descriptor& type,
                            google::protobuf::io::ZeroCopyInputStream* bytes, uint64_t size);
ParseCost EstimateParseCost(const google::protobuf::Descriptor& type, absl::string_view bytes);

}  // namespace qbake

#endif  // QBAKE_SERVER_PARSE_COST_H_
