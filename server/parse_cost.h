// What parsing untrusted protobuf bytes would cost in memory, found without parsing
// them. A parsed message takes far more memory than its bytes on the wire when they
// hold many small messages: an empty onnx.TensorProto is 2 bytes sent and about 250
// bytes parsed, so 4 MB of empty initializers parse into about 500 MB. The server
// asks this first and refuses what would amplify.
#ifndef QBAKE_SERVER_PARSE_COST_H_
#define QBAKE_SERVER_PARSE_COST_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace qbake {

struct ParseCost {
  uint64_t memory_bytes = 0;  // an estimate: objects, strings and repeated slots
  uint64_t messages = 0;      // messages parsing would create, the outermost included
  // The repeated message field with the most entries ("onnx.GraphProto.initializer"),
  // and their number; empty with 0 when there is none.
  std::string busiest_field;
  uint64_t busiest_entries = 0;
};

// Walks `bytes` as a serialized message of `type` (its fields known from the
// descriptor, unknown ones counted as kept bytes) in time linear in their size.
// Bytes that are not well-formed end the walk there: the cost counted so far is
// returned, and parsing will refuse them anyway.
ParseCost EstimateParseCost(const google::protobuf::Descriptor& type, absl::string_view bytes);

}  // namespace qbake

#endif  // QBAKE_SERVER_PARSE_COST_H_
