// Protobuf messages from a client, parsed only once their bytes are known to be
// well-formed and affordable (EstimateParseCost), so that a refusal says what is
// wrong and where, and many tiny messages cannot make parsing take far more memory
// than was sent. Every message the server takes from a client comes through here:
// the Bake request and each BakeStream message (byte_buffer_messages.h), and the
// model they carry.
#ifndef QBAKE_SERVER_WIRE_MESSAGE_H_
#define QBAKE_SERVER_WIRE_MESSAGE_H_

#include <cstdint>
#include <memory>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/io/zero_copy_stream.h"
#include "google/protobuf/message.h"

namespace qbake {

// A parsed message may take at most this many times its serialized size, plus the
// allowance: real models and requests stay far below (their bytes are mostly
// tensor data, kept as sent), many tiny messages (empty initializers, configs,
// nodes or attributes) do not.
inline constexpr uint64_t kMaxParseGrowth = 16;
inline constexpr uint64_t kParseAllowanceBytes = uint64_t{64} << 20;

// Parses `size` bytes into `out` (cleared first), `open` giving a fresh stream over
// them each time it is called (twice: to walk them, then to parse them), so they are
// read where they lie. `what` names them in errors ("model", "request",
// "BakeStream: message 3"):
//   RESOURCE_EXHAUSTED "WHAT: its N bytes would take about M MiB parsed ..." naming
//     the busiest repeated field, beyond kMaxParseGrowth;
//   INVALID_ARGUMENT "WHAT: not a valid TYPE: FLAW" (TYPE the message's full name,
//     FLAW the field and byte offset of the first malformed bytes), for more than
//     protobuf's 2 GiB, and should protobuf still refuse them.
absl::Status ParseWireMessage(
    absl::FunctionRef<std::unique_ptr<google::protobuf::io::ZeroCopyInputStream>()> open,
    uint64_t size, absl::string_view what, google::protobuf::Message* out);

// The same, for bytes in memory.
absl::Status ParseWireMessage(absl::string_view bytes, absl::string_view what,
                              google::protobuf::Message* out);

}  // namespace qbake

#endif  // QBAKE_SERVER_WIRE_MESSAGE_H_
