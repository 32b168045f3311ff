// The vector instruction sets of the bake kernels, for core/kernels/kernel_body.h:
// VectorIsa<Tag>, kWidth float32 lanes of GCC's vector extensions. Lane arithmetic
// is written once for every width, and every lane computes exactly the C expression
// written (a / b is a division, a < b ? a : b a minps). The few operations C has no
// operator for (rounding to an integer, truncation to int32, masked loads and stores,
// mask tests and the float/double conversions of half a vector) are the Tag's:
//
//  - PortableTag, here: 4 lanes (128 bits), in plain C on the vector extensions, so
//    GCC turns them into SSE2 on x86-64 and NEON on arm64. Rounding is IEEE
//    arithmetic alone (the 2^23 add and subtract), no libm call.
//  - Avx2Tag (8 lanes) and Avx512Tag (16), in core/kernels/kernel_isa_x86.h:
//    intrinsics, for their own translation units only.
//
// The Tag is part of every type, so each instantiation is its translation unit's own
// and the linker can never hand an AVX-512 body to a caller on another path.
#ifndef QBAKE_CORE_KERNELS_KERNEL_ISA_VECTOR_H_
#define QBAKE_CORE_KERNELS_KERNEL_ISA_VECTOR_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace qbake::simd {

// kLanes lanes of T, a GCC vector in a struct so that the functions below are found
// by argument-dependent lookup (core/rounding.h's Round calls them so).
template <typename T, size_t kLanes, typename Tag_>
struct Vec {
  typedef T Raw __attribute__((vector_size(sizeof(T) * kLanes)));
  using Lane = T;
  using Tag = Tag_;
  using UnsignedLane = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  using Unsigned = Vec<UnsignedLane, kLanes, Tag>;
  // What comparisons give: all ones or all zeros, in signed lanes as wide as T.
  using Mask = Vec<std::make_signed_t<UnsignedLane>, kLanes, Tag>;
  static constexpr size_t kCount = kLanes;
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

// The float lanes of `a` as unsigned integers of the same width, and back.
template <typename V>
typename V::Unsigned::Raw BitsOf(V a) {
  return reinterpret_cast<typename V::Unsigned::Raw>(a.v);
}
template <typename V>
V FromBitsOf(typename V::Unsigned::Raw bits) {
  return V::Wrap(reinterpret_cast<typename V::Raw>(bits));
}

template <typename V, typename = MaskOf<V>>
V Abs(V a) {
  return FromBitsOf<V>(BitsOf(a) & static_cast<typename V::UnsignedLane>(~V::kSignBit));
}

// The magnitude of `magnitude` with the sign bit of `sign`.
template <typename V, typename = MaskOf<V>>
V CopySign(V magnitude, V sign) {
  constexpr auto kSign = V::kSignBit;
  return FromBitsOf<V>((BitsOf(magnitude) & ~kSign) | (BitsOf(sign) & kSign));
}

// torch.sign: 1, -1, or +0 for a zero.
template <typename V, typename = MaskOf<V>>
V SignOf(V a) {
  const V zero(0.0);
  const V one(1.0);
  return Select(Greater(a, zero), one, zero) - Select(Less(a, zero), one, zero);
}

// The roundings to an integer that the Tags provide (Tag::Round<kMode>), each the
// IEEE-754 roundToIntegral of its direction: NaN stays NaN, infinities and zeros
// stay, and the sign is always the input's (floor(-0.0) = -0.0, ceil(-0.5) = -0.0).
enum class RoundMode { kNearest, kFloor, kCeil, kTrunc };

// nearbyint: half to even (the current rounding mode, round to nearest).
template <typename V, typename = MaskOf<V>>
V Nearbyint(V a) {
  return V::Tag::template Round<RoundMode::kNearest>(a);
}
template <typename V, typename = MaskOf<V>>
V Floor(V a) {
  return V::Tag::template Round<RoundMode::kFloor>(a);
}
template <typename V, typename = MaskOf<V>>
V Ceil(V a) {
  return V::Tag::template Round<RoundMode::kCeil>(a);
}

// C's round, exactly (no instruction rounds ties away from zero): t = trunc(a) and
// a - t are exact, and one step away from zero is added where |a - t| >= 0.5.
// A zero keeps its sign, as round(-0.3) is -0.0.
template <typename V, typename = MaskOf<V>>
V RoundHalfAway(V a) {
  const V truncated = V::Tag::template Round<RoundMode::kTrunc>(a);
  return Select(Less(Abs(a - truncated), V(0.5)), truncated, truncated + SignOf(a));
}

// The vector types of a Tag of kLanes float32 lanes, which each Tag derives from:
// F (float32), D (double, half as many lanes), I (wrapping uint32) and Lanes (what
// comparisons of F give).
template <typename Tag, size_t kLanes>
struct TagVectors {
  static constexpr size_t kWidth = kLanes;
  using F = Vec<float, kLanes, Tag>;
  using D = Vec<double, kLanes / 2, Tag>;
  using I = Vec<uint32_t, kLanes, Tag>;
  using Lanes = typename F::Mask;
};

// The portable instruction set: 4 float32 lanes (2 double lanes) in 128 bits, with
// no intrinsics, for any CPU GCC targets (SSE2 on x86-64, NEON on arm64).
struct PortableTag : TagVectors<PortableTag, 4> {
  // Round half to even in IEEE arithmetic: for |a| < 2^23 (2^52 for double), whose
  // float32 neighbours at and above 2^23 are the integers, |a| + 2^23 rounds |a| to an
  // integer half to even in one IEEE addition, and subtracting 2^23 again is exact.
  // From 2^23 on every float is an integer already, and +0 is added and subtracted
  // instead, which changes no magnitude (NaN and infinity included: they fail the
  // comparison). The other directions step from that integer n by one where it lies
  // on the wrong side of `a`; every result takes the sign of `a`.
  template <RoundMode kMode, typename V>
  static V Round(V a) {
    using T = typename V::Lane;
    using Bits = typename V::Unsigned::Raw;
    const V two_to_the_mantissa(sizeof(T) == 4 ? T(8388608.0) : T(4503599627370496.0));
    const V one(T(1));
    const V magnitude = Abs(a);
    const Bits sign = BitsOf(a) ^ BitsOf(magnitude);
    const V addend = FromBitsOf<V>(BitsOf(two_to_the_mantissa) &
                                   reinterpret_cast<Bits>(magnitude.v < two_to_the_mantissa.v));
    const V nearest_magnitude = (magnitude + addend) - addend;  // >= +0, or NaN
    if constexpr (kMode == RoundMode::kTrunc) {
      const V truncated =
          Select(Greater(nearest_magnitude, magnitude), nearest_magnitude - one, nearest_magnitude);
      return FromBitsOf<V>(BitsOf(truncated) | sign);
    }
    const V nearest = FromBitsOf<V>(BitsOf(nearest_magnitude) | sign);
    if constexpr (kMode == RoundMode::kNearest) return nearest;
    // n - 1 where n > a is never a zero of the wrong sign: n - 1 = +-0 only for
    // n = 1 and a in (0, 1), which floor to +0.
    if constexpr (kMode == RoundMode::kFloor) {
      return Select(Greater(nearest, a), nearest - one, nearest);
    }
    // n + 1 where n < a gives +0 for n = -1 and a in (-1, 0), whose ceiling is -0.
    if constexpr (kMode == RoundMode::kCeil) {
      return CopySign(Select(Less(nearest, a), nearest + one, nearest), a);
    }
  }

  // As cvttps2dq: truncated, INT32_MIN outside the int32 range (and for NaN). Lanes
  // outside the range are converted as +0.0 (C defines no result for them; arm64
  // saturates) and then get INT32_MIN's bits.
  static I TruncateToInt32(F value) {
    using Ints = Lanes::Raw;
    using Bits = I::Raw;
    const Ints in_range = (value.v >= -2147483648.0f) & (value.v < 2147483648.0f);
    const F safe = FromBitsOf<F>(BitsOf(value) & reinterpret_cast<Bits>(in_range));
    const Bits truncated = reinterpret_cast<Bits>(__builtin_convertvector(safe.v, Ints));
    return I::Wrap(truncated | (~reinterpret_cast<Bits>(in_range) & 0x80000000u));
  }

  // Any lane set: an OR across the lanes' bits.
  static bool Any(Lanes lanes) {
    uint64_t halves[2];
    std::memcpy(halves, &lanes.v, sizeof halves);
    return (halves[0] | halves[1]) != 0;
  }

  // Masked loads and stores, lane by lane through a vector on the stack: lanes outside
  // `lanes` are neither read (they load as +0.0) nor written. Only the vectors at a
  // run's ends take them.
  static F LoadMasked(const float* p, Lanes lanes) {
    F result(0.0f);
    for (size_t i = 0; i < kWidth; ++i) {
      if (lanes.v[i] != 0) result.v[i] = p[i];
    }
    return result;
  }
  static void StoreMasked(float* p, F value, Lanes lanes) {
    for (size_t i = 0; i < kWidth; ++i) {
      if (lanes.v[i] != 0) p[i] = value.v[i];
    }
  }
  static void StoreIntMasked(int32_t* p, I value, Lanes lanes) {
    for (size_t i = 0; i < kWidth; ++i) {
      if (lanes.v[i] != 0) p[i] = static_cast<int32_t>(value.v[i]);
    }
  }

  // The low and the high two lanes, each exactly as doubles, and back, rounded. Both
  // go through a vector of four doubles, of which GCC keeps the half it needs in a
  // register: the high lanes are moved down first (movhlps, then cvtps2pd on x86-64;
  // a two-lane float vector, or the high half of the four doubles, goes through memory).
  typedef double Quad __attribute__((vector_size(32)));
  static std::array<D, 2> ToDoubles(F value) {
    const Quad low = __builtin_convertvector(value.v, Quad);
    const Quad high =
        __builtin_convertvector(__builtin_shufflevector(value.v, value.v, 2, 3, 2, 3), Quad);
    return {D::Wrap(__builtin_shufflevector(low, low, 0, 1)),
            D::Wrap(__builtin_shufflevector(high, high, 0, 1))};
  }
  static F FromDoubles(const std::array<D, 2>& halves) {
    const Quad all = __builtin_shufflevector(halves[0].v, halves[1].v, 0, 1, 2, 3);
    return F::Wrap(__builtin_convertvector(all, F::Raw));
  }
};

// The instruction set of Tag::kWidth float32 lanes: 4 (PortableTag), 8 (Avx2Tag) or
// 16 (Avx512Tag). What lane arithmetic cannot say, the Tag does.
template <typename Tag>
struct VectorIsa {
  static constexpr size_t kWidth = Tag::kWidth;
  static constexpr size_t kDWidth = kWidth / 2;
  static constexpr size_t kHalves = 2;  // D vectors per F vector
  // Sweep the error kernels group by group (core/kernels/kernel_body.h's Sweep): the
  // portable path's 16 xmm registers cannot hold all kErrorLanes double sums.
  static constexpr bool kGroupMajorSweep = std::is_same_v<Tag, PortableTag>;

  using F = typename Tag::F;
  using D = typename Tag::D;
  using I = typename Tag::I;  // wrapping integer lanes
  using Lanes = typename Tag::Lanes;

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
  static bool Any(Lanes lanes) { return Tag::Any(lanes); }
  // Lanes outside `lanes` are neither read (they load as +0.0) nor written.
  static F LoadMasked(const float* p, Lanes lanes) { return Tag::LoadMasked(p, lanes); }
  static void StoreMasked(float* p, F value, Lanes lanes) { Tag::StoreMasked(p, value, lanes); }
  static void StoreIntMasked(int32_t* p, I value, Lanes lanes) {
    Tag::StoreIntMasked(p, value, lanes);
  }

  static std::array<D, kHalves> ToDoubles(F value) { return Tag::ToDoubles(value); }
  static F FromDoubles(const std::array<D, kHalves>& halves) { return Tag::FromDoubles(halves); }
  // As cvttss2si: truncated, INT32_MIN outside the int32 range (and for NaN).
  static I TruncateToInt32(F value) { return Tag::TruncateToInt32(value); }
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
  template <typename V, typename Fn>
  static auto Reduce(V value, Fn fn) {
    auto result = value.v[0];
    for (size_t i = 1; i < V::kCount; ++i) result = fn(result, value.v[i]);
    return result;
  }
};

using PortableIsa = VectorIsa<PortableTag>;

}  // namespace qbake::simd

#endif  // QBAKE_CORE_KERNELS_KERNEL_ISA_VECTOR_H_
