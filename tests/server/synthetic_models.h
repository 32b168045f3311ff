// Small made-up models for the server tests: one Conv whose weight "w" is the
// parameter to bake, and the config that bakes it.
#ifndef QBAKE_TESTS_SERVER_SYNTHETIC_MODELS_H_
#define QBAKE_TESTS_SERVER_SYNTHETIC_MODELS_H_

#include <cstdint>
#include <vector>

#include "core/config_spec.h"
#include "core/quant_config.h"
#include "onnx/onnx_pb.h"
#include "tests/support/model_builder.h"

namespace qbake::testing {

// Conv "conv" over x and the weight "w" of `dims` holding `values`.
onnx::ModelProto WeightModel(const std::vector<int64_t>& dims, const std::vector<float>& values,
                             int32_t type = onnx::TensorProto::FLOAT,
                             Storage storage = Storage::kRaw);

// `count` values spread over about [-1, 1), none repeating nearby.
std::vector<float> Ramp(size_t count);

// ACTIVATED, PER_TENSOR LINEAR `symmetry` at `bits` (the matching full range), scale 1/64.
TensorConfigSpec WeightSpec(PolicyBit symmetry = kSymmetrical, int bits = 8);

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SERVER_SYNTHETIC_MODELS_H_
