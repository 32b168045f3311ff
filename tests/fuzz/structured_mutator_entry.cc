// libFuzzer's custom mutator for the targets whose input is a serialized BakeRequest
// (structured_mutator.h); linked into their libFuzzer builds only.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/structured_mutator.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  return qbake::fuzz::MutateBakeRequest(data, size, max_size, seed, LLVMFuzzerMutate);
}
