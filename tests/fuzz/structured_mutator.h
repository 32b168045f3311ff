// A structure-aware mutation of a serialized qbake.v1.BakeRequest, for the fuzz
// targets whose input is one (structured_bake_fuzzer, differential_bake_fuzzer):
// instead of flipping bytes, it edits what hostile requests edit. In the model: a
// tensor's dims (zero, negative, 2^31, 2^62, ...), data type, storage (raw_data, the
// typed fields, none), external-data entries (locations, offsets and lengths at the
// extremes, missing or repeated keys), its name (empty, another's), and Constant
// nodes (value, value_float(s), value_int(s), ... attributes, right or wrong). In the
// configs: any field set to a float32 or integer extreme (FLT_MAX, just above it,
// infinities, NaN, denormals, 2^31, ...). One edit in four is libFuzzer's own byte
// mutation, of the whole request or of the model's bytes alone.
#ifndef QBAKE_TESTS_FUZZ_STRUCTURED_MUTATOR_H_
#define QBAKE_TESTS_FUZZ_STRUCTURED_MUTATOR_H_

#include <cstddef>
#include <cstdint>

namespace qbake::fuzz {

// libFuzzer's byte mutator (LLVMFuzzerMutate): mutates data[0, size) in place within
// max_size and returns the new size.
using ByteMutator = size_t (*)(uint8_t* data, size_t size, size_t max_size);

// What LLVMFuzzerCustomMutator returns: the new size of data[0, max_size).
size_t MutateBakeRequest(uint8_t* data, size_t size, size_t max_size, unsigned seed,
                         ByteMutator byte_mutator);

}  // namespace qbake::fuzz

#endif  // QBAKE_TESTS_FUZZ_STRUCTURED_MUTATOR_H_
