// The IEEE-754 bit pattern of a float32, and back.
#ifndef QBAKE_CORE_FLOAT_BITS_H_
#define QBAKE_CORE_FLOAT_BITS_H_

#include <cstdint>
#include <cstring>

namespace qbake {

inline uint32_t FloatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

inline float FloatFromBits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

}  // namespace qbake

#endif  // QBAKE_CORE_FLOAT_BITS_H_
