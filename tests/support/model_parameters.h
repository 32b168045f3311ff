// A model's parameters (initializers and the `value` tensors of Constant nodes), and
// a tensor's ONNX external data entries: moving its bytes out, reading the entries.
#ifndef QBAKE_TESTS_SUPPORT_MODEL_PARAMETERS_H_
#define QBAKE_TESTS_SUPPORT_MODEL_PARAMETERS_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "onnx/onnx_pb.h"

namespace qbake::testing {

// The parameters of a model: initializers by name and Constant `value` tensors by
// the node's output.
std::vector<std::pair<std::string, onnx::TensorProto*>> Parameters(onnx::ModelProto* model);

// Moves a tensor's raw_data to external storage described by `entries`
// ({"location", ...}, {"offset", ...}, {"length", ...}); returns the bytes.
std::string MakeExternal(onnx::TensorProto* tensor,
                         std::vector<std::pair<std::string, std::string>> entries);

// A tensor's external_data entries by key.
std::map<std::string, std::string> ExternalEntries(const onnx::TensorProto& tensor);

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_MODEL_PARAMETERS_H_
