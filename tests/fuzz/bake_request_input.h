// A fuzz input read as a serialized qbake.v1.BakeRequest, as the structure-aware
// targets take it: the request, its configs and options as the server reads them,
// and its model parsed.
#ifndef QBAKE_TESTS_FUZZ_BAKE_REQUEST_INPUT_H_
#define QBAKE_TESTS_FUZZ_BAKE_REQUEST_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.pb.h"
#include "server/bake_settings.h"

namespace qbake::fuzz {

struct BakeRequestInput {
  v1::BakeRequest request;
  BakeSettings settings;
  onnx::ModelProto model;
};

// nullopt when the request, its settings or its model do not parse.
std::optional<BakeRequestInput> ReadBakeRequestInput(const uint8_t* data, size_t size);

}  // namespace qbake::fuzz

#endif  // QBAKE_TESTS_FUZZ_BAKE_REQUEST_INPUT_H_
