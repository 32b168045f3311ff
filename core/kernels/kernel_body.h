// The bake kernels, written once for any instruction set: core/kernels/kernel_portable.cc,
// core/kernels/kernel_avx2.cc and core/kernels/kernel_avx512.cc each compile them for theirs
// (MakeKernelTable). An Isa (core/kernels/kernel_isa_vector.h's VectorIsa<Tag>) gives
// types F (kWidth float32 lanes), D (kDWidth double lanes, kHalves of them per F),
// I (kWidth wrapping uint32 lanes), static loads, stores and conversions, and free
// functions on its types: arithmetic, Less, Greater, Select, Min, Max (as
// minps/maxps) and core/rounding.h's primitives. Every lane evaluates the float32
// and double operations of BAKING.md as written, in the same order, so every path
// gives the same bits.
//
// A kernel walks its run [begin, end) in vectors aligned to tensor indices (the
// vector at p holds elements p .. p + kWidth - 1, p a multiple of kWidth), masking
// the lanes outside the run at either end. So element i always sits in lane
// i % kWidth and feeds the error lane i % kErrorLanes (core/error_stats.h), which
// keeps the sums of squares identical across paths.
#ifndef QBAKE_CORE_KERNELS_KERNEL_BODY_H_
#define QBAKE_CORE_KERNELS_KERNEL_BODY_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "core/dynamic_range.h"
#include "core/error_stats.h"
#include "core/float_bits.h"
#include "core/kernels/floating_kernel.h"
#include "core/kernels/kernel_dispatch.h"
#include "core/kernels/kernel_run.h"
#include "core/kernels/linear_kernel.h"
#include "core/rounding.h"

namespace qbake::simd {

// A vector whose lanes all lie inside the run.
struct AllLanes {};

template <class Lanes>
constexpr bool kAllLanes = std::is_same_v<Lanes, AllLanes>;

template <class Isa, class Lanes>
typename Isa::F Load(const float* p, Lanes lanes) {
  if constexpr (kAllLanes<Lanes>) return Isa::Load(p);
  if constexpr (!kAllLanes<Lanes>) return Isa::LoadMasked(p, lanes);
}
template <class Isa, class Lanes>
void Store(float* p, typename Isa::F value, Lanes lanes) {
  if constexpr (kAllLanes<Lanes>) Isa::Store(p, value);
  if constexpr (!kAllLanes<Lanes>) Isa::StoreMasked(p, value, lanes);
}
template <class Isa, class Lanes>
void StoreInt(int32_t* p, typename Isa::I value, Lanes lanes) {
  if constexpr (kAllLanes<Lanes>) Isa::StoreInt(p, value);
  if constexpr (!kAllLanes<Lanes>) Isa::StoreIntMasked(p, value, lanes);
}
// `inside` in the run's lanes, `outside` elsewhere.
template <class Lanes, class F>
F Keep(Lanes lanes, F inside, F outside) {
  if constexpr (kAllLanes<Lanes>) return inside;
  if constexpr (!kAllLanes<Lanes>) return Select(lanes, inside, outside);
}

// Calls op.Step(p, lanes, acc, group) for every vector that holds elements of
// [begin, end), in index order, where group = p % kErrorLanes / kWidth picks the
// vector's error lanes and `lanes` masks the elements outside the run.
template <class Isa, class Op>
void SweepEdge(const Op& op, size_t begin, size_t end, typename Op::Acc* acc) {
  constexpr size_t kWidth = Isa::kWidth;
  if (begin >= end) return;
  for (size_t p = begin - begin % kWidth; p < end; p += kWidth) {
    const size_t group = p % kErrorLanes / kWidth;
    if (p < begin || p + kWidth > end) {
      const size_t first = p < begin ? begin - p : 0;
      const size_t last = p + kWidth > end ? end - p : kWidth;
      op.Step(p, Isa::LanesBetween(first, last), acc, group);
      continue;
    }
    op.Step(p, AllLanes{}, acc, group);
  }
}

// Elements per sub-block of a group-major sweep (see Sweep): 16 KiB of float32.
constexpr size_t kGroupMajorElements = 4096;

// One loop per error group, each with its group as a constant, over the whole
// kErrorLanes blocks of [begin, end).
template <class Isa, class Op, size_t... kGroups>
[[gnu::always_inline]] inline void SweepGroups(const Op& op, size_t begin, size_t end,
                                               typename Op::Acc* acc,
                                               std::index_sequence<kGroups...>) {
  (
      [&] {
        for (size_t block = begin; block < end; block += kErrorLanes) {
          op.Step(block + kGroups * Isa::kWidth, AllLanes{}, acc, kGroups);
        }
      }(),
      ...);
}

// SweepEdge over [begin, end), with the whole kErrorLanes blocks in the middle
// unmasked and on a copy of *acc and of the op that the compiler keeps in registers.
template <class Isa, class Op>
void Sweep(const Op& shared_op, size_t begin, size_t end, typename Op::Acc* acc) {
  constexpr size_t kWidth = Isa::kWidth;
  const Op op = shared_op;  // a local: the stores to the run cannot touch its constants
  const size_t rounded_begin = begin + (kErrorLanes - begin % kErrorLanes) % kErrorLanes;
  const size_t body_begin = rounded_begin < end ? rounded_begin : end;
  const size_t rounded_end = end - end % kErrorLanes;
  const size_t body_end = rounded_end > body_begin ? rounded_end : body_begin;
  SweepEdge<Isa>(op, begin, body_begin, acc);
  typename Op::Acc body_acc = *acc;
  if constexpr (Isa::kGroupMajorSweep && Op::kGroupedErrors) {
    // Group-major: per sub-block (resident in L1), one pass per error group g over
    // the sub-block's blocks, handling only group g's vectors, so only g's sums are
    // live in each loop. Every lane still sums its elements in index order.
    for (size_t sub = body_begin; sub < body_end; sub += kGroupMajorElements) {
      const size_t sub_end =
          body_end - sub > kGroupMajorElements ? sub + kGroupMajorElements : body_end;
      SweepGroups<Isa>(op, sub, sub_end, &body_acc,
                       std::make_index_sequence<kErrorLanes / kWidth>{});
    }
  } else {
    for (size_t block = body_begin; block < body_end; block += kErrorLanes) {
      for (size_t group = 0; group < kErrorLanes / kWidth; ++group) {
        op.Step(block + group * kWidth, AllLanes{}, &body_acc, group);
      }
    }
  }
  *acc = body_acc;
  SweepEdge<Isa>(op, body_end, end, acc);
}

// ErrorStats held in Isa vectors: kErrorLanes sums, and the running max of the
// squared differences, which the sums need anyway. In binary floating point with
// rounding to nearest, sqrt(RN(d * d)) is |d| exactly for every double d whose square
// neither overflows nor underflows (the differences of two floats never do), and
// RN(d * d) grows strictly with |d|, so sqrt(max d * d) is max |d| to the bit. NaN
// differences are skipped alike (Max keeps the accumulator).
template <class Isa>
struct ErrorAcc {
  using D = typename Isa::D;

  explicit ErrorAcc(const ErrorStats& stats) : max_squared(stats.max_abs * stats.max_abs) {
    for (size_t i = 0; i < kSums; ++i) {
      sums[i] = Isa::LoadD(&stats.lane_sum_squared[i * Isa::kDWidth]);
    }
  }
  void StoreTo(ErrorStats* stats) const {
    for (size_t i = 0; i < kSums; ++i) {
      Isa::StoreD(&stats->lane_sum_squared[i * Isa::kDWidth], sums[i]);
    }
    stats->max_abs = std::sqrt(Isa::ReduceMax(max_squared));
  }

  // Adds baked - original of the lanes inside the run; the others add +0.0, which
  // changes no sum (the sums are never -0.0) and no max.
  template <class Lanes>
  void Add(typename Isa::F original, typename Isa::F baked, Lanes lanes, size_t group) {
    const auto originals = Isa::ToDoubles(original);
    const auto bakeds = Isa::ToDoubles(Keep(lanes, baked, original));
    for (size_t h = 0; h < Isa::kHalves; ++h) {
      const D diff = bakeds[h] - originals[h];
      const D squared = diff * diff;
      max_squared = Max(squared, max_squared);
      D& sum = sums[group * Isa::kHalves + h];
      sum = sum + squared;
    }
  }

  static constexpr size_t kSums = kErrorLanes / Isa::kDWidth;
  std::array<D, kSums> sums;
  D max_squared;
};

// y = (q - o) * s of both LINEAR and FLOATING, stored, with its error.
template <class Isa, class Lanes>
void StoreBaked(float* p, typename Isa::F x, typename Isa::F q, typename Isa::F offset,
                typename Isa::F scale, Lanes lanes, ErrorAcc<Isa>* acc, size_t group) {
  const typename Isa::F y = (q - offset) * scale;
  Store<Isa>(p, y, lanes);
  acc->Add(x, y, lanes, group);
}

// std::min(std::max(q, lo), hi), NaN and zero signs included.
template <class F>
F Clamp(F q, F lo, F hi) {
  return Min(hi, Max(lo, q));
}

// BAKING.md 3.1's integer representation of q (core/kernels/linear_kernel.h).
template <class Isa>
[[gnu::always_inline]] inline typename Isa::I IntegerRepresentation(typename Isa::F q,
                                                                    IntegerType type) {
  using I = typename Isa::I;
  const I truncated = Isa::TruncateToInt32(q);
  switch (type) {
    case IntegerType::kInt8:  // the low byte, sign-extended
      return ((truncated & I(0xffu)) ^ I(0x80u)) - I(0x80u);
    case IntegerType::kUInt8:
      return truncated & I(0xffu);
    case IntegerType::kInt32:
      break;
  }
  return truncated;
}

// 1 / scale where it is a float exactly (scale a normal power of two), else 0. Then
// x / scale and x * (1 / scale) are the same real number, rounded once, so they give
// the same bits for every x (NaN, infinities, zero signs and subnormals included),
// and a multiplication costs far less than a division.
inline float ExactInverse(float scale) {
  uint32_t bits;
  std::memcpy(&bits, &scale, sizeof bits);
  const uint32_t exponent = bits >> 23 & 0xffu;
  if ((bits & 0x7fffffu) != 0 || exponent == 0 || exponent == 0xffu) return 0.0f;
  return 1.0f / scale;
}

// fn(std::true_type) where `value`, else fn(std::false_type).
template <class Fn>
void DispatchBool(bool value, Fn&& fn) {
  if (value) {
    fn(std::true_type{});
  } else {
    fn(std::false_type{});
  }
}

// fn(std::true_type, inverse) where inverse = ExactInverse(scale) is not 0, else
// fn(std::false_type, 0).
template <class Fn>
void DispatchInverse(float scale, Fn&& fn) {
  const float inverse = ExactInverse(scale);
  DispatchBool(inverse != 0.0f, [&](auto by_inverse) { fn(by_inverse, inverse); });
}

// x / scale, as x * inverse where kByInverse (inverse = ExactInverse(scale)).
template <bool kByInverse, class F>
F DivideByScale(F x, F scale, F inverse) {
  if constexpr (kByInverse) return x * inverse;
  if constexpr (!kByInverse) return x / scale;
}

// kIntegers: the run stores integers too. A constant, so the loop without them has
// no branch, and no call that would make the compiler keep its sums in memory.
template <class Isa, Rounding kRounding, bool kByInverse, bool kIntegers>
struct LinearOp {
  using F = typename Isa::F;
  using Acc = ErrorAcc<Isa>;
  static constexpr bool kGroupedErrors = true;

  template <class Lanes>
  [[gnu::always_inline]] void Step(size_t p, Lanes lanes, Acc* acc, size_t group) const {
    const F x = Load<Isa>(values + p, lanes);
    const F u = DivideByScale<kByInverse>(x, scale, inverse);
    const F q = Clamp(Round<kRounding>(u) + offset, quant_min, quant_max);
    if constexpr (kIntegers) {
      StoreInt<Isa>(integers + p, IntegerRepresentation<Isa>(q, integer_type), lanes);
    }
    StoreBaked(values + p, x, q, offset, scale, lanes, acc, group);
  }

  F scale, offset, quant_min, quant_max, inverse;
  IntegerType integer_type;
  float* values;
  int32_t* integers;
};

template <class Isa, Rounding kRounding, bool kByInverse>
struct FloatingOp {
  using F = typename Isa::F;
  using D = typename Isa::D;
  using I = typename Isa::I;
  using Acc = ErrorAcc<Isa>;
  static constexpr bool kGroupedErrors = true;

  FloatingOp(const FloatingFormat& format, float scale, float inverse, float offset, float* values)
      : scale(scale),
        inverse(inverse),
        offset(offset),
        hi(format.hi),
        lo(format.lo),
        quant_min(format.quant_min),
        quant_max(format.quant_max),
        min_normal(format.min_normal),
        subnormal_step(format.subnormal_step),
        dropped_mask(format.dropped_mask),
        kept_mask(~format.dropped_mask),
        carry_unit(format.dropped_mask + 1),
        carry_bias(format.dropped_mask + 1 -
                   format.carry_threshold[static_cast<size_t>(kRounding)]),
        values(values) {
    // The window of magnitudes Quantize takes as they are: [min_normal, plain_max], as
    // bits - plain_base <= plain_width in wrapping uint32. Where it is empty, the base
    // 2^31 moves every magnitude's bits to 2^31 or above, beyond a width of 2^31 - 1.
    const float plain_max = std::min(format.hi, -format.lo);
    uint32_t base = 0x80000000u;
    uint32_t width = 0x7fffffffu;
    if (plain_max >= format.min_normal) {
      base = FloatBits(format.min_normal);
      width = FloatBits(plain_max) - base;
    }
    plain_base = I(base);
    plain_width = I(width);
  }

  template <class Lanes>
  [[gnu::always_inline]] void Step(size_t p, Lanes lanes, Acc* acc, size_t group) const {
    const F x = Load<Isa>(values + p, lanes);
    StoreBaked(values + p, x, Quantize(DivideByScale<kByInverse>(x, scale, inverse)), offset, scale,
               lanes, acc, group);
  }

  // q of BAKING.md 3.2 for u = x / s.
  F Quantize(F u) const {
    const I bits = Isa::Bits(u);
    // dropped + (unit - threshold) reaches the unit bit exactly when dropped >= threshold.
    const I carry = ((bits & dropped_mask) + carry_bias) & carry_unit;
    const F q = Clamp(Isa::FromBits((bits & kept_mask) + carry), quant_min, quant_max);
    // Lanes whose |u| lies in [min_normal, plain_max] are neither subnormal nor beyond
    // hi or lo: one unsigned test of the magnitude's bits, which NaN fails.
    if (!Isa::Any(Greater(Isa::Bits(Abs(u)) - plain_base, plain_width))) return q;
    return AtEdges(u, q);
  }

  // Quantize's result where a lane may be subnormal, above hi or below lo.
  F AtEdges(F u, F q) const {
    const auto subnormal = Less(Abs(u), min_normal);
    if (Isa::Any(subnormal)) q = Select(subnormal, Subnormal(u), q);
    return Select(Greater(u, hi), hi, Select(Less(u, lo), lo, q));
  }

  // Rx(u / step) * step, Rx in double. PPQ turns Rx into an int, so a negative value
  // that rounds to zero gives +0.
  F Subnormal(F u) const {
    std::array<D, Isa::kHalves> steps = Isa::ToDoubles(u / subnormal_step);
    for (D& s : steps) s = Round<kRounding>(s);
    return Isa::ToFloat(Isa::TruncateToInt32(Isa::FromDoubles(steps))) * subnormal_step;
  }

  F scale, inverse, offset, hi, lo, quant_min, quant_max, min_normal, subnormal_step;
  I dropped_mask, kept_mask, carry_unit, carry_bias, plain_base, plain_width;
  float* values;
};

// The range starts at +0.0: lanes outside the run load as +0.0 and change nothing.
// Min and Max keep the first operand only where it is strictly less (greater), so a
// -0.0 never replaces +0.0 and the reduced bits do not depend on the lane order.
template <class Isa>
struct RangeOp {
  using F = typename Isa::F;
  static constexpr bool kGroupedErrors = false;
  struct Acc {
    F min;
    F max;
  };

  template <class Lanes>
  void Step(size_t p, Lanes lanes, Acc* acc, size_t) const {
    const F x = Load<Isa>(values + p, lanes);
    acc->min = Min(x, acc->min);
    acc->max = Max(x, acc->max);
  }

  const float* values;
};

template <class Isa, class Op>
void SweepWithErrors(const Op& op, const TensorRun& run, ErrorStats* errors) {
  ErrorAcc<Isa> acc(*errors);
  Sweep<Isa>(op, run.begin, run.end, &acc);
  acc.StoreTo(errors);
}

template <class Isa>
void BakeLinear(const LinearParams& params, float scale, float offset, const TensorRun& run,
                ErrorStats* errors) {
  using F = typename Isa::F;
  DispatchRounding(params.rounding, [&](auto rounding) {
    DispatchInverse(scale, [&](auto by_inverse, float inverse) {
      DispatchBool(run.integers != nullptr, [&](auto with_integers) {
        const LinearOp<Isa, decltype(rounding)::value, decltype(by_inverse)::value,
                       decltype(with_integers)::value>
            op{F(scale),   F(offset),           F(params.quant_min), F(params.quant_max),
               F(inverse), params.integer_type, run.values,          run.integers};
        SweepWithErrors<Isa>(op, run, errors);
      });
    });
  });
}

template <class Isa>
void BakeFloating(const FloatingFormat& format, Rounding rounding, float scale, float offset,
                  const TensorRun& run, ErrorStats* errors) {
  DispatchRounding(rounding, [&](auto r) {
    DispatchInverse(scale, [&](auto by_inverse, float inverse) {
      const FloatingOp<Isa, decltype(r)::value, decltype(by_inverse)::value> op(
          format, scale, inverse, offset, run.values);
      SweepWithErrors<Isa>(op, run, errors);
    });
  });
}

template <class Isa>
ValueRange FindRange(const float* values, size_t begin, size_t end) {
  using F = typename Isa::F;
  typename RangeOp<Isa>::Acc acc{F(0.0f), F(0.0f)};
  Sweep<Isa>(RangeOp<Isa>{values}, begin, end, &acc);
  return {Isa::ReduceMin(acc.min), Isa::ReduceMax(acc.max)};
}

template <class Isa>
constexpr KernelTable MakeKernelTable(KernelPath path) {
  return {path, &BakeLinear<Isa>, &BakeFloating<Isa>, &FindRange<Isa>};
}

}  // namespace qbake::simd

#endif  // QBAKE_CORE_KERNELS_KERNEL_BODY_H_
