#include "server/byte_buffer_messages.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "server/parse_cost.h"
#include "server/wire_message.h"

namespace qbake {

absl::Status ParseByteBuffer(grpc::ByteBuffer* buffer, absl::string_view what,
                             google::protobuf::Message* out) {
  const google::protobuf::Descriptor& type = *out->GetDescriptor();
  const uint64_t size = buffer->Length();
  grpc::ProtoBufferReader walked(buffer);
  absl::Status allowed =
      CheckWireMessage(EstimateParseCost(type, &walked, size), size, what, type);
  if (allowed.ok()) {
    grpc::ProtoBufferReader parsed(buffer);
    if (!out->ParseFromZeroCopyStream(&parsed)) {
      allowed = absl::InvalidArgumentError(absl::StrCat(
          what, ": not a valid ", type.full_name(), " (protobuf refused its ", size, " bytes)"));
    }
  }
  buffer->Clear();
  return allowed;
}

absl::Status SerializeToByteBuffer(const google::protobuf::Message& message,
                                   grpc::ByteBuffer* buffer) {
  buffer->Clear();  // gRPC's serializer writes only into an empty buffer
  bool own_buffer = false;
  const grpc::Status serialized = grpc::SerializationTraits<google::protobuf::Message>::Serialize(
      message, buffer, &own_buffer);
  if (serialized.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("could not serialize a ",
                                          message.GetDescriptor()->full_name(), ": ",
                                          serialized.error_message()));
}

}  // namespace qbake
