// The x86-64 Tags of core/kernels/kernel_isa_vector.h: AVX2 (8 float32 lanes) and
// AVX-512 F/BW/DQ/VL (16), each giving VectorIsa the operations C has no operator for
// as intrinsics: rounding to an integer, truncation to int32, masked loads and stores,
// mask tests, and float/double conversions of half a vector.
//
// Include this header only from the translation unit compiled for the instruction
// set (core/kernels/kernel_avx2.cc, core/kernels/kernel_avx512.cc).
#ifndef QBAKE_CORE_KERNELS_KERNEL_ISA_X86_H_
#define QBAKE_CORE_KERNELS_KERNEL_ISA_X86_H_

#include <immintrin.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "core/kernels/kernel_isa_vector.h"

namespace qbake::simd {

// All lanes of a 16 (8) lane AVX-512 mask. The intrinsics without a mask start from
// an undefined vector that GCC 12 warns about, so the kernels use the masked forms.
constexpr __mmask16 kAll16 = 0xffff;
constexpr __mmask8 kAll8 = 0xff;

// The SSE4.1 / AVX-512 rounding immediate of a RoundMode; kNearest is the current
// direction, like std::nearbyint.
template <RoundMode kMode>
constexpr int kRoundImmediate = (kMode == RoundMode::kNearest ? _MM_FROUND_CUR_DIRECTION
                                 : kMode == RoundMode::kFloor ? _MM_FROUND_TO_NEG_INF
                                 : kMode == RoundMode::kCeil  ? _MM_FROUND_TO_POS_INF
                                                              : _MM_FROUND_TO_ZERO) |
                                _MM_FROUND_NO_EXC;

struct Avx2Tag : TagVectors<Avx2Tag, 8> {
  template <RoundMode kMode, typename V>
  static V Round(V a) {
    if constexpr (std::is_same_v<typename V::Lane, float>) {
      return V::Wrap(_mm256_round_ps(a.v, kRoundImmediate<kMode>));
    } else {
      return V::Wrap(_mm256_round_pd(a.v, kRoundImmediate<kMode>));
    }
  }
  // cvttps2dq: truncated, INT32_MIN outside the int32 range (and for NaN).
  static I TruncateToInt32(F value) {
    return I::Wrap(reinterpret_cast<I::Raw>(_mm256_cvttps_epi32(value.v)));
  }
  static bool Any(Lanes lanes) {
    return _mm256_movemask_ps(reinterpret_cast<__m256>(lanes.v)) != 0;
  }
  static F LoadMasked(const float* p, Lanes lanes) {
    return F::Wrap(_mm256_maskload_ps(p, reinterpret_cast<__m256i>(lanes.v)));
  }
  static void StoreMasked(float* p, F value, Lanes lanes) {
    _mm256_maskstore_ps(p, reinterpret_cast<__m256i>(lanes.v), value.v);
  }
  static void StoreIntMasked(int32_t* p, I value, Lanes lanes) {
    _mm256_maskstore_epi32(p, reinterpret_cast<__m256i>(lanes.v),
                           reinterpret_cast<__m256i>(value.v));
  }
  static std::array<D, 2> ToDoubles(F value) {
    return {D::Wrap(_mm256_cvtps_pd(_mm256_castps256_ps128(value.v))),
            D::Wrap(_mm256_cvtps_pd(_mm256_extractf128_ps(value.v, 1)))};
  }
  static F FromDoubles(const std::array<D, 2>& halves) {
    return F::Wrap(_mm256_set_m128(_mm256_cvtpd_ps(halves[1].v), _mm256_cvtpd_ps(halves[0].v)));
  }
};

struct Avx512Tag : TagVectors<Avx512Tag, 16> {
  template <RoundMode kMode, typename V>
  static V Round(V a) {
    if constexpr (std::is_same_v<typename V::Lane, float>) {
      return V::Wrap(_mm512_maskz_roundscale_ps(kAll16, a.v, kRoundImmediate<kMode>));
    } else {
      return V::Wrap(_mm512_maskz_roundscale_pd(kAll8, a.v, kRoundImmediate<kMode>));
    }
  }
  // cvttps2dq: truncated, INT32_MIN outside the int32 range (and for NaN).
  static I TruncateToInt32(F value) {
    return I::Wrap(reinterpret_cast<I::Raw>(_mm512_maskz_cvttps_epi32(kAll16, value.v)));
  }
  static bool Any(Lanes lanes) { return KMask(lanes) != 0; }
  static F LoadMasked(const float* p, Lanes lanes) {
    return F::Wrap(_mm512_maskz_loadu_ps(KMask(lanes), p));
  }
  static void StoreMasked(float* p, F value, Lanes lanes) {
    _mm512_mask_storeu_ps(p, KMask(lanes), value.v);
  }
  static void StoreIntMasked(int32_t* p, I value, Lanes lanes) {
    _mm512_mask_storeu_epi32(p, KMask(lanes), reinterpret_cast<__m512i>(value.v));
  }
  static std::array<D, 2> ToDoubles(F value) {
    const __m256 high = _mm512_maskz_extractf32x8_ps(kAll8, value.v, 1);
    return {D::Wrap(_mm512_maskz_cvtps_pd(kAll8, _mm512_maskz_extractf32x8_ps(kAll8, value.v, 0))),
            D::Wrap(_mm512_maskz_cvtps_pd(kAll8, high))};
  }
  static F FromDoubles(const std::array<D, 2>& halves) {
    const __m256 low = _mm512_maskz_cvtpd_ps(kAll8, halves[0].v);
    const __m256 high = _mm512_maskz_cvtpd_ps(kAll8, halves[1].v);
    return F::Wrap(_mm512_maskz_insertf32x8(kAll16, _mm512_castps256_ps512(low), high, 1));
  }

 private:
  static __mmask16 KMask(Lanes lanes) {
    return _mm512_movepi32_mask(reinterpret_cast<__m512i>(lanes.v));
  }
};

}  // namespace qbake::simd

#endif  // QBAKE_CORE_KERNELS_KERNEL_ISA_X86_H_
