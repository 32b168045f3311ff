#include "tests/server/synthetic_models.h"

namespace qbake::testing {

onnx::ModelProto WeightModel(const std::vector<int64_t>& dims, const std::vector<float>& values,
                             int32_t type, Storage storage) {
  return ModelBuilder()
      .Node("Conv", "conv", {"x", "w"}, {"y"})
      .Initializer(MakeTensor("w", dims, values, type, storage))
      .model();
}

std::vector<float> Ramp(size_t count) {
  std::vector<float> values(count);
  for (size_t i = 0; i < count; ++i) {
    values[i] = static_cast<float>(static_cast<int64_t>((i * 7919) % 4001) - 2000) / 2000.0f;
  }
  return values;
}

TensorConfigSpec WeightSpec(PolicyBit symmetry, int bits) {
  TensorConfigSpec spec;
  spec.operation = "conv";
  spec.variable = "w";
  spec.policy = kPerTensor | kLinear | symmetry;
  spec.num_of_bits = bits;
  const double levels = static_cast<double>(int64_t{1} << bits);
  spec.quant_min = symmetry == kSymmetrical ? -levels / 2 : 0;
  spec.quant_max = symmetry == kSymmetrical ? levels / 2 - 1 : levels - 1;
  spec.state = QuantState::kActivated;
  spec.scale = {1.0 / 64};
  spec.offset = {symmetry == kSymmetrical ? 0.0 : levels / 2};
  return spec;
}

}  // namespace qbake::testing
