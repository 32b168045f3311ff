// The bytes of an ONNX model whose graph holds nothing but empty initializers: the
// cheapest request that parses into many messages (2 bytes each on the wire, about
// 250 parsed). Written as wire bytes, so millions take no time to make.
#ifndef QBAKE_TESTS_SUPPORT_EMPTY_INITIALIZERS_H_
#define QBAKE_TESTS_SUPPORT_EMPTY_INITIALIZERS_H_

#include <cstdint>
#include <string>

namespace qbake::testing {

// A serialized onnx.ModelProto: graph (field 7) holding `count` initializers (field
// 5) of length 0.
inline std::string EmptyInitializers(uint64_t count) {
  std::string model = "\x3a";  // field 7, length-delimited
  for (uint64_t length = 2 * count; ; length >>= 7) {  // the graph's length, a varint
    if (length < 0x80) {
      model.push_back(static_cast<char>(length));
      break;
    }
    model.push_back(static_cast<char>(0x80 | (length & 0x7f)));
  }
  for (uint64_t i = 0; i < count; ++i) model.append("\x2a\x00", 2);
  return model;
}

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_EMPTY_INITIALIZERS_H_
