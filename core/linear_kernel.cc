#include "core/linear_kernel.h"

#include <algorithm>

#include "core/rounding.h"

namespace qbake {

IntegerType IntegerTypeOf(const TensorQuantConfig& config) {
  if (config.num_of_bits > 8) return IntegerType::kInt32;
  return config.Has(kAsymmetrical) ? IntegerType::kUInt8 : IntegerType::kInt8;
}

int32_t ToIntegerRepresentation(float q, IntegerType type) {
  const bool in_range = q >= -2147483648.0f && q < 2147483648.0f;
  const int32_t truncated = in_range ? static_cast<int32_t>(q) : INT32_MIN;
  switch (type) {
    case IntegerType::kInt8:
      return static_cast<int8_t>(truncated);
    case IntegerType::kUInt8:
      return static_cast<uint8_t>(truncated);
    case IntegerType::kInt32:
      break;
  }
  return truncated;
}

namespace {

template <Rounding kRounding>
ErrorStats BakeRun(const LinearParams& params, float scale, float offset, float* values,
                   size_t n, int32_t* integers) {
  ErrorStats stats;
  for (size_t i = 0; i < n; ++i) {
    const float x = values[i];
    float q = Round<kRounding>(x / scale) + offset;
    q = std::min(std::max(q, params.quant_min), params.quant_max);
    const float y = (q - offset) * scale;
    if (integers != nullptr) integers[i] = ToIntegerRepresentation(q, params.integer_type);
    stats.Add(x, y);
    values[i] = y;
  }
  return stats;
}

}  // namespace

ErrorStats LinearBakeRun(const LinearParams& params, float scale, float offset,
                         float* values, size_t n, int32_t* integers) {
  return DispatchRounding(params.rounding, [&](auto rounding) {
    return BakeRun<decltype(rounding)::value>(params, scale, offset, values, n, integers);
  });
}

}  // namespace qbake
