// The small model of the CLI, client and reliability tests, its PPQ config document,
// and the model written with its parameters in ONNX external data files.
#ifndef QBAKE_TESTS_SUPPORT_SMALL_MODEL_H_
#define QBAKE_TESTS_SUPPORT_SMALL_MODEL_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "onnx/onnx_pb.h"

namespace qbake::testing {

// y = MatMul(x, W) (node "mm"); z = Add(y, k) (node "add"), k from Constant node
// "k_node". W is [4, 8]; B [8] feeds no node.
onnx::ModelProto SmallModel();

// A PPQ config document for SmallModel: W and k ACTIVATED, per tensor, 8 bits.
std::string SmallModelConfig();

// SmallModel's parameters baked in process with SmallModelConfig: their raw_data by
// name (a failure to bake is a test failure).
std::map<std::string, std::string> SmallModelBakedBytes();

// The size of weights.bin as WriteExternalSmallModel lays out the external data:
// B at 0..32, filler, W at 64..192, trailer (sub/k.bin holds k).
constexpr int64_t kWeightsFileSize = 200;

// Writes SmallModel to folder/model.onnx with B and W in weights.bin and the Constant's
// value in sub/k.bin (no offset or length entries); returns the model as written.
onnx::ModelProto WriteExternalSmallModel(const std::filesystem::path& folder);

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_SMALL_MODEL_H_
