// PPQ's golden file (tests/data/ppq_golden.json, BAKING.md section 5) for the tests
// that replay its cases: the cases, their float32 hex lists and their configs.
#ifndef QBAKE_TESTS_SUPPORT_GOLDEN_CASES_H_
#define QBAKE_TESTS_SUPPORT_GOLDEN_CASES_H_

#include <vector>

#include "core/quant_config.h"
#include "nlohmann/json.hpp"

namespace qbake::testing {

// The file's "cases", parsed once.
const nlohmann::json& GoldenCases();

// ["3f800000", ...] -> {1.0f, ...}
std::vector<float> GoldenFloats(const nlohmann::json& hexes);

// A case's config, resolved as the kernels take it.
TensorQuantConfig GoldenConfig(const nlohmann::json& golden_case);

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_GOLDEN_CASES_H_
