// PPQ config documents of hostile size, for the tests and the benchmark of reading
// them. Every config is (operation "op<i>", variable "w<j>"), ACTIVATED, 8 bits, per
// tensor, dispatched to TRT_INT8, its scale in values[dominator]; values entry k has
// scale k + 0.5 (exact in a double) and zero point 0.
#ifndef QBAKE_TESTS_SUPPORT_LARGE_CONFIG_DOCUMENTS_H_
#define QBAKE_TESTS_SUPPORT_LARGE_CONFIG_DOCUMENTS_H_

#include <cstddef>
#include <string>

namespace qbake::testing {

// One config (op0, w0) whose dominator is the last of `value_keys` values entries.
std::string DocumentWithValueKeys(size_t value_keys);

// `operations` operations of `variables` configs each; config n (in document order)
// has dominator n, the n-th of operations * variables values entries.
std::string DocumentWithConfigs(size_t operations, size_t variables);

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_LARGE_CONFIG_DOCUMENTS_H_
