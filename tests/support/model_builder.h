// Builds small ONNX models for tests: nodes, initializers (raw or typed storage, any
// element type), and Constant nodes holding parameters.
#ifndef QBAKE_TESTS_SUPPORT_MODEL_BUILDER_H_
#define QBAKE_TESTS_SUPPORT_MODEL_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"

namespace qbake::testing {

enum class Storage { kRaw, kTyped };

// A tensor of `type` (FLOAT, FLOAT16 or BFLOAT16) holding `values`, narrowed to
// nearest-even for the 16-bit types.
onnx::TensorProto MakeTensor(const std::string& name, const std::vector<int64_t>& dims,
                             const std::vector<float>& values,
                             int32_t type = onnx::TensorProto::FLOAT,
                             Storage storage = Storage::kRaw);

class ModelBuilder {
 public:
  ModelBuilder& Node(const std::string& op_type, const std::string& name,
                     const std::vector<std::string>& inputs,
                     const std::vector<std::string>& outputs);
  ModelBuilder& Initializer(const onnx::TensorProto& tensor);
  // A Constant node named `name` + "_node" whose output is tensor.name().
  ModelBuilder& Constant(const onnx::TensorProto& tensor);
  const onnx::ModelProto& model() const { return model_; }

 private:
  onnx::ModelProto model_;
};

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_MODEL_BUILDER_H_
