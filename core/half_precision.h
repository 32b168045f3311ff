// IEEE half (FLOAT16) and bfloat16 to and from float32. Widening is exact; narrowing
// rounds to nearest, ties to even, with overflow to infinity and NaN kept NaN.
#ifndef QBAKE_CORE_HALF_PRECISION_H_
#define QBAKE_CORE_HALF_PRECISION_H_

#include <cstdint>

namespace qbake {

float HalfToFloat(uint16_t half);
uint16_t FloatToHalf(float value);
float BFloat16ToFloat(uint16_t bfloat);
uint16_t FloatToBFloat16(float value);

}  // namespace qbake

#endif  // QBAKE_CORE_HALF_PRECISION_H_
