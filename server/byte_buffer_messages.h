// Messages in and out of gRPC's byte buffers. The server registers its methods raw:
// gRPC hands it each request's bytes and sends the bytes it is given, so parsing is
// the server's own (ParseWireMessage) and a request that does not parse is answered
// INVALID_ARGUMENT naming its flaw, in the call's log line, instead of gRPC's bare
// refusal before the service sees it.
#ifndef QBAKE_SERVER_BYTE_BUFFER_MESSAGES_H_
#define QBAKE_SERVER_BYTE_BUFFER_MESSAGES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"

namespace qbake {

// Parses the bytes of `buffer` into `out` as ParseWireMessage does, naming them
// `what`, reading them where gRPC keeps them (nothing copied but what the message
// holds), then empties `buffer`, so the bytes are not held twice after parsing.
absl::Status ParseByteBuffer(grpc::ByteBuffer* buffer, absl::string_view what,
                             google::protobuf::Message* out);

// Serializes `message` into `buffer`, replacing what it held. INTERNAL on failure.
absl::Status SerializeToByteBuffer(const google::protobuf::Message& message,
                                   grpc::ByteBuffer* buffer);

}  // namespace qbake

#endif  // QBAKE_SERVER_BYTE_BUFFER_MESSAGES_H_
