// Protobuf wire bytes written by hand: what a hostile client can send but no
// well-behaved serializer makes, and the cheapest requests that parse into many
// messages (an empty message is 2 bytes on the wire and hundreds parsed). Millions
// take no time to make, under the sanitizers too.
#ifndef QBAKE_TESTS_SUPPORT_WIRE_BYTES_H_
#define QBAKE_TESTS_SUPPORT_WIRE_BYTES_H_

#include <cstdint>
#include <string>

namespace qbake::testing {

// `value` as a base-128 varint.
inline std::string Varint(uint64_t value) {
  std::string bytes;
  for (; value >= 0x80; value >>= 7) bytes.push_back(static_cast<char>(0x80 | (value & 0x7f)));
  bytes.push_back(static_cast<char>(value));
  return bytes;
}

// A length-delimited field: its tag, then `length` (which need not be the length of
// `payload`, to declare more than is sent), then `payload`.
inline std::string DelimitedField(int number, uint64_t length, const std::string& payload) {
  return Varint(static_cast<uint64_t>(number) << 3 | 2) + Varint(length) + payload;
}
inline std::string DelimitedField(int number, const std::string& payload) {
  return DelimitedField(number, payload.size(), payload);
}

// `count` copies of an empty length-delimited field `number`.
inline std::string EmptyFields(int number, uint64_t count) {
  const std::string one = DelimitedField(number, "");
  std::string bytes;
  bytes.reserve(one.size() * count);
  for (uint64_t i = 0; i < count; ++i) bytes += one;
  return bytes;
}

// A serialized onnx.ModelProto: graph (field 7) holding `count` initializers (field
// 5) of length 0.
inline std::string EmptyInitializers(uint64_t count) {
  return DelimitedField(7, EmptyFields(5, count));
}

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_WIRE_BYTES_H_
