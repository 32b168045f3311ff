// The scalar instruction set of the bake kernels, for core/kernels/kernel_body.h: one lane,
// plain float32, double and uint32 arithmetic, portable to any x86-64. The same
// operations core/kernels/kernel_isa_vector.h gives its vectors, here for plain numbers.
#ifndef QBAKE_CORE_KERNELS_KERNEL_ISA_SCALAR_H_
#define QBAKE_CORE_KERNELS_KERNEL_ISA_SCALAR_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/float_bits.h"
#include "core/rounding.h"

namespace qbake::simd {

using ::qbake::Abs;

inline bool Less(float a, float b) { return a < b; }
inline bool Greater(float a, float b) { return a > b; }
inline float Select(bool m, float a, float b) { return m ? a : b; }
// As minps and maxps: the first operand only where it is less (greater).
inline float Min(float a, float b) { return a < b ? a : b; }
inline float Max(float a, float b) { return a > b ? a : b; }
inline double Max(double a, double b) { return a > b ? a : b; }

struct ScalarIsa {
  static constexpr size_t kWidth = 1;
  static constexpr size_t kDWidth = 1;
  static constexpr size_t kHalves = 1;  // D values per F value

  using F = float;
  using D = double;
  using I = uint32_t;  // wrapping integer lane

  static float Load(const float* p) { return *p; }
  static void Store(float* p, float value) { *p = value; }
  static void StoreInt(int32_t* p, uint32_t value) { *p = static_cast<int32_t>(value); }
  static double LoadD(const double* p) { return *p; }
  static void StoreD(double* p, double value) { *p = value; }

  static std::array<double, 1> ToDoubles(float value) { return {value}; }
  static float FromDoubles(const std::array<double, 1>& value) {
    return static_cast<float>(value[0]);
  }
  // As cvttss2si: truncated, INT32_MIN outside the int32 range (and for NaN).
  static uint32_t TruncateToInt32(float value) {
    const bool in_range = value >= -2147483648.0f && value < 2147483648.0f;
    return in_range ? static_cast<uint32_t>(static_cast<int32_t>(value)) : 0x80000000u;
  }
  static float ToFloat(uint32_t value) { return static_cast<float>(static_cast<int32_t>(value)); }
  static uint32_t Bits(float value) { return FloatBits(value); }
  static float FromBits(uint32_t value) { return FloatFromBits(value); }

  static bool Any(bool lane) { return lane; }
  static double ReduceMax(double value) { return value; }
  static float ReduceMax(float value) { return value; }
  static float ReduceMin(float value) { return value; }
};

}  // namespace qbake::simd

#endif  // QBAKE_CORE_KERNELS_KERNEL_ISA_SCALAR_H_
