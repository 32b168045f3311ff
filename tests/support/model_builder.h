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

// A tensor of `type` holding `values` (FLOAT, or FLOAT16/BFLOAT16 narrowed to
// nearest-even). With no values, any type: dims only, for tests that never read data.
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
  onnx::ModelProto* mutable_model() { return &model_; }

 private:
  onnx::ModelProto model_;
};

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_MODEL_BUILDER_H_
