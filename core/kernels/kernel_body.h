// The bake kernels, written once for any instruction set: core/kernels/kernel_scalar.cc,
// core/kernels/kernel_avx2.cc and core/kernels/kernel_avx512.cc each compile them for theirs
// (MakeKernelTable). An Isa (core/kernels/kernel_isa_scalar.h, core/kernels/kernel_isa_vector.h)
// gives types F (kWidth float32 lanes), D (kDWidth double lanes, kHalves of them per
// F), I (kWidth wrapping uint32 lanes), static loads, stores and conversions, and
// free functions on its types: arithmetic, Less, Greater, Select, Min, Max (as
// minps/maxps) and core/rounding.h's primitives. Every lane evaluates the same
// float32 and double operations as the scalar path, in the same order, so every path
// gives the same bits.
//
// A kernel walks its run [begin, end) in vectors aligned to tensor indices (the
// vector at p holds elements p .. p + kWidth - 1, p a multiple of kWidth), masking
// the lanes outside the run at either end. So element i always sits in lane
// i % kWidth and feeds the error lane i % kErrorLanes (core/error_stats.h), which
// keeps the sums of squares identical across paths.
#ifndef QBAKE_CORE_KERNELS_KERNEL_BODY_H_
#define QBAKE_CORE_KERNELS_KERNEL_BODY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "core/dynamic_range.h"
#include "core/error_stats.h"
#include "core/kernels/floating_kernel.h"
#include "core/kernels/kernel_dispatch.h"
#include "core/kernels/kernel_isa_scalar.h"
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
    if constexpr (kWidth > 1) {
      if (p < begin || p + kWidth > end) {
        const size_t first = p < begin ? begin - p : 0;
        const size_t last = p + kWidth > end ? end - p : kWidth;
        op.Step(p, Isa::LanesBetween(first, last), acc, group);
        continue;
      }
    }
    op.Step(p, AllLanes{}, acc, group);
  }
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
  for (size_t block = body_begin; block < body_end; block += kErrorLanes) {
    for (size_t group = 0; group < kErrorLanes / kWidth; ++group) {
      op.Step(block + group * kWidth, AllLanes{}, &body_acc, group);
    }
  }
  *acc = body_acc;
  SweepEdge<Isa>(op, body_end, end, acc);
}

// ErrorStats held in Isa vectors: kErrorLanes sums, and the running max.
template <class Isa>
struct ErrorAcc {
  using D = typename Isa::D;

  explicit ErrorAcc(const ErrorStats& stats) : max_abs(stats.max_abs) {
    for (size_t i = 0; i < kSums; ++i) {
      sums[i] = Isa::LoadD(&stats.lane_sum_squared[i * Isa::kDWidth]);
    }
  }
  void StoreTo(ErrorStats* stats) const {
    for (size_t i = 0; i < kSums; ++i) {
      Isa::StoreD(&stats->lane_sum_squared[i * Isa::kDWidth], sums[i]);
    }
    stats->max_abs = Isa::ReduceMax(max_abs);
  }

  // Adds baked - original of the lanes inside the run; the others add +0.0, which
  // changes no sum (the sums are never -0.0) and no max.
  template <class Lanes>
  void Add(typename Isa::F original, typename Isa::F baked, Lanes lanes, size_t group) {
    const auto originals = Isa::ToDoubles(original);
    const auto bakeds = Isa::ToDoubles(Keep(lanes, baked, original));
    for (size_t h = 0; h < Isa::kHalves; ++h) {
      const D diff = bakeds[h] - originals[h];
      max_abs = Max(Abs(diff), max_abs);
      D& sum = sums[group * Isa::kHalves + h];
      sum = sum + diff * diff;
    }
  }

  static constexpr size_t kSums = kErrorLanes / Isa::kDWidth;
  std::array<D, kSums> sums;
  D max_abs;
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

template <class Isa, Rounding kRounding>
struct LinearOp {
  using F = typename Isa::F;
  using Acc = ErrorAcc<Isa>;

  template <class Lanes>
  void Step(size_t p, Lanes lanes, Acc* acc, size_t group) const {
    const F x = Load<Isa>(values + p, lanes);
    const F q = Clamp(Round<kRounding>(x / scale) + offset, quant_min, quant_max);
    if (integers != nullptr) {
      StoreInt<Isa>(integers + p, IntegerRepresentation<Isa>(q, integer_type), lanes);
    }
    StoreBaked(values + p, x, q, offset, scale, lanes, acc, group);
  }

  F scale, offset, quant_min, quant_max;
  IntegerType integer_type;
  float* values;
  int32_t* integers;
};

template <class Isa, Rounding kRounding>
struct FloatingOp {
  using F = typename Isa::F;
  using D = typename Isa::D;
  using I = typename Isa::I;
  using Acc = ErrorAcc<Isa>;

  FloatingOp(const FloatingFormat& format, float scale, float offset, float* values)
      : scale(scale),
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
        values(values) {}

  template <class Lanes>
  void Step(size_t p, Lanes lanes, Acc* acc, size_t group) const {
    const F x = Load<Isa>(values + p, lanes);
    StoreBaked(values + p, x, Quantize(x / scale), offset, scale, lanes, acc, group);
  }

  // q of BAKING.md 3.2 for u = x / s.
  F Quantize(F u) const {
    const I bits = Isa::Bits(u);
    // dropped + (unit - threshold) reaches the unit bit exactly when dropped >= threshold.
    const I carry = ((bits & dropped_mask) + carry_bias) & carry_unit;
    F q = Clamp(Isa::FromBits((bits & kept_mask) + carry), quant_min, quant_max);
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

  F scale, offset, hi, lo, quant_min, quant_max, min_normal, subnormal_step;
  I dropped_mask, kept_mask, carry_unit, carry_bias;
  float* values;
};

// The range starts at +0.0: lanes outside the run load as +0.0 and change nothing.
// Min and Max keep the first operand only where it is strictly less (greater), so a
// -0.0 never replaces +0.0 and the reduced bits do not depend on the lane order.
template <class Isa>
struct RangeOp {
  using F = typename Isa::F;
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
    const LinearOp<Isa, decltype(rounding)::value> op{
        F(scale),   F(offset),   F(params.quant_min), F(params.quant_max), params.integer_type,
        run.values, run.integers};
    SweepWithErrors<Isa>(op, run, errors);
  });
}

template <class Isa>
void BakeFloating(const FloatingFormat& format, Rounding rounding, float scale, float offset,
                  const TensorRun& run, ErrorStats* errors) {
  DispatchRounding(rounding, [&](auto r) {
    const FloatingOp<Isa, decltype(r)::value> op(format, scale, offset, run.values);
    SweepWithErrors<Isa>(op, run, errors);
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
