// Bakes a PPQ model with an installed qbake and compares every tensor with PPQ's own
// bake, bit for bit.
// Usage: qbake_consumer MODEL.onnx PPQ_CONFIG.json EXPECTED_BAKED.onnx
// Prints "baked N parameters as PPQ does" and exits 0, or names the first
// difference and exits 1.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "client/model_baker.h"
#include "core/float_bits.h"
#include "core/model_tensors.h"
#include "core/parameter_values.h"
#include "core/ppq_config_document.h"
#include "onnx/onnx_pb.h"

namespace {

bool ReadModel(const char* path, onnx::ModelProto* model) {
  std::ifstream in(path, std::ios::binary);
  return in && model->ParseFromIstream(&in);
}

bool ReadText(const char* path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  text->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// Where `tensor`'s float values differ from `want`'s in any bit, or false.
bool Differs(const onnx::TensorProto& tensor, const onnx::TensorProto& want) {
  if (!qbake::IsBakeableElementType(want.data_type())) {
    return tensor.SerializeAsString() != want.SerializeAsString();
  }
  absl::StatusOr<std::vector<float>> values = qbake::ReadParameterValues(tensor);
  absl::StatusOr<std::vector<float>> wanted = qbake::ReadParameterValues(want);
  if (!values.ok() || !wanted.ok() || values->size() != wanted->size()) return true;
  for (size_t i = 0; i < values->size(); ++i) {
    if (qbake::FloatBits((*values)[i]) != qbake::FloatBits((*wanted)[i])) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s MODEL.onnx PPQ_CONFIG.json EXPECTED_BAKED.onnx\n", argv[0]);
    return 2;
  }
  onnx::ModelProto model;
  onnx::ModelProto expected;
  std::string json;
  if (!ReadModel(argv[1], &model) || !ReadText(argv[2], &json) || !ReadModel(argv[3], &expected)) {
    std::fprintf(stderr, "cannot read the inputs\n");
    return 1;
  }
  absl::StatusOr<qbake::PpqConfigDocument> document = qbake::PpqConfigDocument::Parse(json);
  if (!document.ok()) {
    std::fprintf(stderr, "%s\n", document.status().ToString().c_str());
    return 1;
  }
  qbake::LocalModelBaker baker(/*threads=*/0);
  absl::StatusOr<qbake::BakeOutcome> outcome =
      baker.Bake(&model, document->specs(), qbake::BakeOptions());
  if (!outcome.ok()) {
    std::fprintf(stderr, "%s\n", outcome.status().ToString().c_str());
    return 1;
  }
  const std::vector<qbake::OwnedTensor> baked = qbake::CollectModelTensors(model.mutable_graph());
  const std::vector<qbake::OwnedTensor> want = qbake::CollectModelTensors(expected.mutable_graph());
  if (baked.size() != want.size()) {
    std::fprintf(stderr, "%zu tensors, PPQ's model has %zu\n", baked.size(), want.size());
    return 1;
  }
  for (size_t i = 0; i < baked.size(); ++i) {
    const std::string label = qbake::TensorLabel(baked[i]);
    if (label != qbake::TensorLabel(want[i]) || Differs(*baked[i].tensor, *want[i].tensor)) {
      std::fprintf(stderr, "%s differs from PPQ's\n", label.c_str());
      return 1;
    }
  }
  std::printf("baked %zu parameters as PPQ does\n", document->specs().size());
  return 0;
}
