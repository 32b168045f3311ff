// The vector instruction sets of the bake kernels, for core/kernels/kernel_body.h: AVX2
// (VectorIsa<8, Avx2Tag>, 8 float32 lanes) and AVX-512 (VectorIsa<16, Avx512Tag>).
// Lane arithmetic is GCC's vector extensions, so it is written once for both widths
// and every lane computes exactly the C expression written (a / b is a division,
// a < b ? a : b a minps); intrinsics serve only where C has no operator: rounding to
// an integer, truncation to int32, masked loads and stores, and mask tests.
//
// Include this header only from the translation unit compiled for the instruction
// set (core/kernels/kernel_avx2.cc, core/kernels/kernel_avx512.cc). The Tag is part of every type,
// so each instantiation is that unit's own and the linker can never hand an AVX-512 body to a
// caller on the AVX2 or scalar path.
#ifndef QBAKE_CORE_KERNELS_KERNEL_ISA_VECTOR_H_
#define QBAKE_CORE_KERNELS_KERNEL_ISA_VECTOR_H_

#include <immintrin.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace qbake::simd {

struct Avx2Tag {};
struct Avx512Tag {};

// kLanes lanes of T, a GCC vector in a struct so that the functions below are found
// by argument-dependent lookup (core/rounding.h's Round calls them so).
template <typename T, size_t kLanes, typename Tag>
struct Vec {
  typedef T Raw __attribute__((vector_size(sizeof(T) * kLanes)));
  using Lane = T;
  using UnsignedLane = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  using Unsigned = Vec<UnsignedLane, kLanes, Tag>;
  // What comparisons give: all ones or all zeros, in signed lanes as wide as T.
  using Mask = Vec<std::make_signed_t<UnsignedLane>, kLanes, Tag>;
  static constexpr UnsignedLane kSignBit = UnsignedLane{1} << (sizeof(T) * 8 - 1);

  Vec() = default;
  explicit Vec(T scalar) {  // every lane
    for (size_t i = 0; i < kLanes; ++i) v[i] = scalar;
  }
  // (Not a constructor: GCC cannot tell Vec(Raw) from Vec(T) in a template.)
  static Vec Wrap(Raw raw) {
    Vec result;
    result.v = raw;
    return result;
  }

  Raw v;
};

// Functions on Vec only: each template needs V::Mask, which plain numbers lack.
template <typename V>
using MaskOf = typename V::Mask;

template <typename V, typename = MaskOf<V>>
V operator+(V a, V b) {
  return V::Wrap(a.v + b.v);
}
template <typename V, typename = MaskOf<V>>
V operator-(V a, V b) {
  return V::Wrap(a.v - b.v);
}
template <typename V, typename = MaskOf<V>>
V operator*(V a, V b) {
  return V::Wrap(a.v * b.v);
}
template <typename V, typename = MaskOf<V>>
V operator/(V a, V b) {
  return V::Wrap(a.v / b.v);
}
template <typename V, typename = MaskOf<V>>
V operator&(V a, V b) {
  return V::Wrap(a.v & b.v);
}
template <typename V, typename = MaskOf<V>>
V operator^(V a, V b) {
  return V::Wrap(a.v ^ b.v);
}

template <typename V>
MaskOf<V> Less(V a, V b) {
  return MaskOf<V>::Wrap(a.v < b.v);
}
template <typename V>
MaskOf<V> Greater(V a, V b) {
  return MaskOf<V>::Wrap(a.v > b.v);
}
template <typename V>
V Select(MaskOf<V> m, V a, V b) {
  return V::Wrap(m.v ? a.v : b.v);
}
// minps and maxps: the first operand only where it is less (greater).
template <typename V, typename = MaskOf<V>>
V Min(V a, V b) {
  return Select(Less(a, b), a, b);
}
template <typename V, typename = MaskOf<V>>
V Max(V a, V b) {
  return Select(Greater(a, b), a, b);
}

template <typename V, typename Bits = typename V::Unsigned>
V Abs(V a) {
  const Bits magnitude(static_cast<typename V::UnsignedLane>(~V::kSignBit));
  return V::Wrap(
      reinterpret_cast<typename V::Raw>(reinterpret_cast<typename Bits::Raw>(a.v) & magnitude.v));
}

// torch.sign: 1, -1, or +0 for a zero.
template <typename V, typename = MaskOf<V>>
V SignOf(V a) {
  const V zero(0.0);
  const V one(1.0);
  return Select(Greater(a, zero), one, zero) - Select(Less(a, zero), one, zero);
}

// All lanes of a 16 (8) lane AVX-512 mask. The intrinsics without a mask start from
// an undefined vector that GCC 12 warns about, so the kernels use the masked forms.
constexpr __mmask16 kAll16 = 0xffff;
constexpr __mmask8 kAll8 = 0xff;

// An SSE4.1 / AVX-512 rounding to an integer with mode kMode.
template <int kMode, typename V>
V RoundWithMode(V a) {
  constexpr int kImmediate = kMode | _MM_FROUND_NO_EXC;
  constexpr bool kFloat = std::is_same_v<typename V::Lane, float>;
  if constexpr (sizeof(a) == 32 && kFloat) return V::Wrap(_mm256_round_ps(a.v, kImmediate));
  if constexpr (sizeof(a) == 32 && !kFloat) return V::Wrap(_mm256_round_pd(a.v, kImmediate));
  if constexpr (sizeof(a) == 64 && kFloat)
    return V::Wrap(_mm512_maskz_roundscale_ps(kAll16, a.v, kImmediate));
  if constexpr (sizeof(a) == 64 && !kFloat)
    return V::Wrap(_mm512_maskz_roundscale_pd(kAll8, a.v, kImmediate));
}

// nearbyint: the current rounding mode, like std::nearbyint.
template <typename V, typename = MaskOf<V>>
V Nearbyint(V a) {
  return RoundWithMode<_MM_FROUND_CUR_DIRECTION>(a);
}
template <typename V, typename = MaskOf<V>>
V Floor(V a) {
  return RoundWithMode<_MM_FROUND_TO_NEG_INF>(a);
}
template <typename V, typename = MaskOf<V>>
V Ceil(V a) {
  return RoundWithMode<_MM_FROUND_TO_POS_INF>(a);
}

// C's round, exactly (no instruction rounds ties away from zero): t = trunc(a) and
// a - t are exact, and one step away from zero is added where |a - t| >= 0.5.
// A zero keeps its sign, as round(-0.3) is -0.0.
template <typename V, typename = MaskOf<V>>
V RoundHalfAway(V a) {
  const V truncated = RoundWithMode<_MM_FROUND_TO_ZERO>(a);
  return Select(Less(Abs(a - truncated), V(0.5)), truncated, truncated + SignOf(a));
}

// The instruction set of kWidth float32 lanes (8: AVX2, 16: AVX-512 F/BW/DQ/VL).
template <size_t kWidth_, typename Tag>
struct VectorIsa {
  static_assert(kWidth_ == 8 || kWidth_ == 16);
  static constexpr size_t kWidth = kWidth_;
  static constexpr size_t kDWidth = kWidth / 2;
  static constexpr size_t kHalves = 2;  // D vectors per F vector
  static constexpr bool kAvx512 = kWidth == 16;

  using F = Vec<float, kWidth, Tag>;
  using D = Vec<double, kDWidth, Tag>;
  using I = Vec<uint32_t, kWidth, Tag>;  // wrapping integer lanes
  using Lanes = typename F::Mask;

  template <typename V, typename T>
  static V LoadRaw(const T* p) {
    V result;
    std::memcpy(&result.v, p, sizeof result.v);
    return result;
  }
  template <typename V, typename T>
  static void StoreRaw(T* p, V value) {
    std::memcpy(p, &value.v, sizeof value.v);
  }

  static F Load(const float* p) { return LoadRaw<F>(p); }
  static void Store(float* p, F value) { StoreRaw(p, value); }
  static void StoreInt(int32_t* p, I value) { StoreRaw(p, value); }
  static D LoadD(const double* p) { return LoadRaw<D>(p); }
  static void StoreD(double* p, D value) { StoreRaw(p, value); }

  // The lanes [first, last) of a vector.
  static Lanes LanesBetween(size_t first, size_t last) {
    Lanes lanes;
    for (size_t i = 0; i < kWidth; ++i) lanes.v[i] = i >= first && i < last ? -1 : 0;
    return lanes;
  }
  static bool Any(Lanes lanes) {
    if constexpr (kAvx512) return _mm512_movepi32_mask(reinterpret_cast<__m512i>(lanes.v)) != 0;
    if constexpr (!kAvx512) return _mm256_movemask_ps(reinterpret_cast<__m256>(lanes.v)) != 0;
  }
  // Lanes outside `lanes` are neither read (they load as +0.0) nor written.
  static F LoadMasked(const float* p, Lanes lanes) {
    if constexpr (kAvx512) return F::Wrap(_mm512_maskz_loadu_ps(KMask(lanes), p));
    if constexpr (!kAvx512)
      return F::Wrap(_mm256_maskload_ps(p, reinterpret_cast<__m256i>(lanes.v)));
  }
  static void StoreMasked(float* p, F value, Lanes lanes) {
    if constexpr (kAvx512) _mm512_mask_storeu_ps(p, KMask(lanes), value.v);
    if constexpr (!kAvx512) _mm256_maskstore_ps(p, reinterpret_cast<__m256i>(lanes.v), value.v);
  }
  static void StoreIntMasked(int32_t* p, I value, Lanes lanes) {
    if constexpr (kAvx512) {
      _mm512_mask_storeu_epi32(p, KMask(lanes), reinterpret_cast<__m512i>(value.v));
    }
    if constexpr (!kAvx512) {
      _mm256_maskstore_epi32(p, reinterpret_cast<__m256i>(lanes.v),
                             reinterpret_cast<__m256i>(value.v));
    }
  }

  static std::array<D, kHalves> ToDoubles(F value) {
    if constexpr (kAvx512) {
      const __m256 high = _mm512_maskz_extractf32x8_ps(kAll8, value.v, 1);
      return {
          D::Wrap(_mm512_maskz_cvtps_pd(kAll8, _mm512_maskz_extractf32x8_ps(kAll8, value.v, 0))),
          D::Wrap(_mm512_maskz_cvtps_pd(kAll8, high))};
    }
    if constexpr (!kAvx512) {
      return {D::Wrap(_mm256_cvtps_pd(_mm256_castps256_ps128(value.v))),
              D::Wrap(_mm256_cvtps_pd(_mm256_extractf128_ps(value.v, 1)))};
    }
  }
  static F FromDoubles(const std::array<D, kHalves>& halves) {
    if constexpr (kAvx512) {
      const __m256 low = _mm512_maskz_cvtpd_ps(kAll8, halves[0].v);
      const __m256 high = _mm512_maskz_cvtpd_ps(kAll8, halves[1].v);
      return F::Wrap(_mm512_maskz_insertf32x8(kAll16, _mm512_castps256_ps512(low), high, 1));
    }
    if constexpr (!kAvx512) {
      return F::Wrap(_mm256_set_m128(_mm256_cvtpd_ps(halves[1].v), _mm256_cvtpd_ps(halves[0].v)));
    }
  }
  // cvttps2dq: truncated, INT32_MIN outside the int32 range (and for NaN).
  static I TruncateToInt32(F value) {
    if constexpr (kAvx512)
      return I::Wrap(reinterpret_cast<typename I::Raw>(_mm512_maskz_cvttps_epi32(kAll16, value.v)));
    if constexpr (!kAvx512)
      return I::Wrap(reinterpret_cast<typename I::Raw>(_mm256_cvttps_epi32(value.v)));
  }
  static F ToFloat(I value) {
    return F::Wrap(
        __builtin_convertvector(reinterpret_cast<typename Lanes::Raw>(value.v), typename F::Raw));
  }
  static I Bits(F value) { return I::Wrap(reinterpret_cast<typename I::Raw>(value.v)); }
  static F FromBits(I value) { return F::Wrap(reinterpret_cast<typename F::Raw>(value.v)); }

  // Lane by lane; for the error and range kernels, whose maxima and minima do not
  // depend on the order (core/kernels/kernel_body.h).
  static double ReduceMax(D value) {
    return Reduce(value, [](double a, double b) { return a > b ? a : b; });
  }
  static float ReduceMax(F value) {
    return Reduce(value, [](float a, float b) { return a > b ? a : b; });
  }
  static float ReduceMin(F value) {
    return Reduce(value, [](float a, float b) { return a < b ? a : b; });
  }

 private:
  static __mmask16 KMask(Lanes lanes) {
    return _mm512_movepi32_mask(reinterpret_cast<__m512i>(lanes.v));
  }

  template <typename V, typename Fn>
  static auto Reduce(V value, Fn fn) {
    auto result = value.v[0];
    for (size_t i = 1; i < sizeof(value.v) / sizeof(result); ++i) result = fn(result, value.v[i]);
    return result;
  }
};

}  // namespace qbake::simd

#endif  // QBAKE_CORE_KERNELS_KERNEL_ISA_VECTOR_H_
