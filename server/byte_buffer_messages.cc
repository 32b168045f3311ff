#include "server/byte_buffer_messages.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "core/error_detail.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "server/wire_message.h"

namespace qbake {

absl::Status ParseByteBuffer(grpc::ByteBuffer* buffer, absl::string_view what,
                             google::protobuf::Message* out) {
  const absl::Status parsed =
      ParseWireMessage([buffer] { return std::make_unique<grpc::ProtoBufferReader>(buffer); },
                       buffer->Length(), what, out);
  buffer->Clear();
  if (parsed.code() == absl::StatusCode::kResourceExhausted) {
    return WithReason(parsed, error_reason::kRequestTooLarge);
  }
  return parsed;
}

absl::Status SerializeToByteBuffer(const google::protobuf::Message& message,
                                   grpc::ByteBuffer* buffer) {
  buffer->Clear();  // gRPC's serializer writes only into an empty buffer
  bool own_buffer = false;
  const grpc::Status serialized =
      grpc::SerializationTraits<google::protobuf::Message>::Serialize(message, buffer, &own_buffer);
  if (serialized.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("could not serialize a ",
                                          message.GetDescriptor()->full_name(), ": ",
                                          serialized.error_message()));
}

}  // namespace qbake
