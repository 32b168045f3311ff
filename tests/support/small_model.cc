#include "tests/support/small_model.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "core/bake_session.h"
#include "core/ppq_config_document.h"
#include "core/thread_pool.h"
#include "gtest/gtest.h"
#include "tests/support/model_builder.h"
#include "tests/support/model_parameters.h"
#include "tests/support/test_data.h"

namespace qbake::testing {

onnx::ModelProto SmallModel() {
  std::vector<float> w(32);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.37f * static_cast<float>(i) - 5.3f;
  ModelBuilder builder;
  builder.Initializer(MakeTensor("W", {4, 8}, w))
      .Initializer(MakeTensor("B", {8}, std::vector<float>(8, 0.123f)))
      .Constant(MakeTensor("k", {8}, {0.26f, -0.31f, 1.04f, 0.5f, -0.77f, 0.01f, 2.2f, 3.3f}))
      .Node("MatMul", "mm", {"x", "W"}, {"y"})
      .Node("Add", "add", {"y", "k"}, {"z"});
  onnx::ModelProto model = builder.model();
  model.set_ir_version(8);
  model.add_opset_import()->set_version(13);
  model.mutable_graph()->set_name("small");
  model.mutable_graph()->add_input()->set_name("x");
  model.mutable_graph()->add_output()->set_name("z");
  return model;
}

std::string SmallModelConfig() {
  const std::string tqc = R"({"bit_width": 8, "policy": ["PER_TENSOR", "LINEAR", "SYMMETRICAL"],
      "state": "ACTIVATED", "quant_min": -128, "quant_max": 127, "hash": %HASH%,
      "dominator": %HASH%})";
  auto config = [&tqc](absl::string_view hash) {
    return absl::StrReplaceAll(tqc, {{"%HASH%", hash}});
  };
  return absl::StrCat(R"({"configs": {"mm": {"W": )", config("1"), R"(}, "add": {"k": )",
                      config("2"), R"(}},
  "dispatchings": {"mm": "TRT_INT8", "add": "TRT_INT8"},
  "values": {"1": {"scale": 0.05, "zero_point": 0}, "2": {"scale": 0.0125, "zero_point": 0}}}
)");
}

std::map<std::string, std::string> SmallModelBakedBytes() {
  onnx::ModelProto model = SmallModel();
  absl::StatusOr<PpqConfigDocument> document = PpqConfigDocument::Parse(SmallModelConfig());
  EXPECT_TRUE(document.ok()) << document.status();
  if (!document.ok()) return {};
  ThreadPool pool(1);
  BakeSession session(&pool, BakeOptions());
  absl::StatusOr<BakeOutcome> outcome = session.Run(&model, document->specs());
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  std::map<std::string, std::string> bytes;
  for (const auto& [name, tensor] : Parameters(&model)) bytes[name] = tensor->raw_data();
  return bytes;
}

onnx::ModelProto WriteExternalSmallModel(const std::filesystem::path& folder) {
  onnx::ModelProto model = SmallModel();
  std::string weights(kWeightsFileSize, '\xab');
  auto move_into_weights = [&weights](onnx::TensorProto* tensor, size_t offset) {
    const size_t length = tensor->raw_data().size();
    const std::string bytes = MakeExternal(tensor, {{"location", "weights.bin"},
                                                    {"offset", std::to_string(offset)},
                                                    {"length", std::to_string(length)}});
    weights.replace(offset, length, bytes);
  };
  for (auto& [name, tensor] : Parameters(&model)) {
    if (name == "B") move_into_weights(tensor, 0);
    if (name == "W") move_into_weights(tensor, 64);
    if (name == "k") {
      std::filesystem::create_directories(folder / "sub");
      WriteFileOrDie(folder / "sub" / "k.bin", MakeExternal(tensor, {{"location", "sub/k.bin"}}));
    }
  }
  WriteFileOrDie(folder / "weights.bin", weights);
  WriteFileOrDie(folder / "model.onnx", model.SerializeAsString());
  return model;
}

}  // namespace qbake::testing
