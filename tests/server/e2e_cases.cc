#include "tests/server/e2e_cases.h"

#include <optional>
#include <set>

#include "core/bake_session.h"
#include "core/ppq_config_document.h"
#include "core/quant_config.h"
#include "core/thread_pool.h"
#include "gtest/gtest.h"
#include "proto/bake_wire.h"
#include "tests/server/bake_results.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

// The tensor's data in raw_data layout; PPQ's export keeps some Constants in float_data.
std::string RawLayout(const std::string& name, const onnx::TensorProto& tensor) {
  if (tensor.has_raw_data()) return tensor.raw_data();
  EXPECT_EQ(tensor.data_type(), onnx::TensorProto::FLOAT) << name;
  return std::string(reinterpret_cast<const char*>(tensor.float_data().data()),
                     sizeof(float) * tensor.float_data_size());
}

// Initializers and the values of Constant nodes, by name, as raw bytes.
std::map<std::string, std::string> ParameterBytes(const onnx::ModelProto& model) {
  std::map<std::string, const onnx::TensorProto*> tensors;
  for (const auto& tensor : model.graph().initializer()) tensors[tensor.name()] = &tensor;
  for (const auto& node : model.graph().node()) {
    for (const auto& attribute : node.attribute()) {
      if (node.op_type() == "Constant" && attribute.name() == "value") {
        tensors[node.output(0)] = &attribute.t();
      }
    }
  }
  std::map<std::string, std::string> bytes;
  for (const auto& [name, tensor] : tensors) bytes[name] = RawLayout(name, *tensor);
  return bytes;
}

void ExpectStatesOfPpq(const E2eCase& e2e, const std::vector<v1::ConfigUpdate>& updates) {
  ASSERT_EQ(updates.size(), e2e.specs.size());
  size_t checked = 0;
  for (size_t i = 0; i < updates.size(); ++i) {
    const v1::ConfigUpdate& update = updates[i];
    EXPECT_EQ(update.index(), i);
    EXPECT_EQ(update.variable(), e2e.specs[i].variable);
    const auto state = e2e.states.find(update.variable());
    if (state == e2e.states.end() || (*state)["operation"].get<std::string>() != update.operation())
      continue;
    ++checked;
    EXPECT_EQ(StateName(static_cast<QuantState>(update.before())),
              (*state)["before"].get<std::string>())
        << update.variable();
    EXPECT_EQ(StateName(static_cast<QuantState>(update.after())),
              (*state)["after"].get<std::string>())
        << update.variable();
  }
  EXPECT_EQ(checked, e2e.states.size());
}

}  // namespace

E2eCase LoadE2eCase(const std::string& name) {
  const std::string folder = TestDataPath("ppq_e2e/" + name + "/");
  E2eCase e2e;
  e2e.model_bytes = ReadFileOrDie(folder + "model.onnx");
  EXPECT_TRUE(e2e.model.ParseFromString(e2e.model_bytes)) << name;
  absl::StatusOr<PpqConfigDocument> document =
      PpqConfigDocument::Parse(ReadFileOrDie(folder + "ppq_config.json"));
  EXPECT_TRUE(document.ok()) << document.status();
  if (document.ok()) e2e.specs = document->specs();
  onnx::ModelProto expected;
  EXPECT_TRUE(expected.ParseFromString(ReadFileOrDie(folder + "expected_baked.onnx"))) << name;
  e2e.expected = ParameterBytes(expected);
  e2e.states = nlohmann::json::parse(ReadFileOrDie(folder + "states.json"));
  return e2e;
}

v1::BakeRequest BakeRequestFor(const std::string& model_bytes,
                               const std::vector<TensorConfigSpec>& specs,
                               const v1::BakeOptions& options) {
  v1::BakeRequest request;
  request.set_model(model_bytes);
  for (const TensorConfigSpec& spec : specs) *request.add_configs() = SpecToWire(spec);
  *request.mutable_options() = options;
  return request;
}

std::string RenderedAfterLocalBake(const E2eCase& e2e, const std::string& document) {
  absl::StatusOr<PpqConfigDocument> parsed = PpqConfigDocument::Parse(document);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (!parsed.ok()) return "";
  onnx::ModelProto model = e2e.model;
  ThreadPool pool(1);
  absl::StatusOr<BakeOutcome> outcome = BakeSession(&pool, {}).Run(&model, parsed->specs());
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  return outcome.ok() ? parsed->Render(outcome->configs) : "";
}

std::string RebuiltConfigDocument(const std::vector<v1::BakeEvent>& events) {
  std::string document;
  std::optional<uint64_t> total;
  for (const v1::BakeEvent& event : events) {
    if (!event.has_config_document()) continue;
    const v1::ConfigDocumentChunk& chunk = event.config_document();
    EXPECT_EQ(chunk.offset(), document.size());
    EXPECT_EQ(chunk.total_bytes(), total.value_or(chunk.total_bytes()));
    total = chunk.total_bytes();
    document += chunk.data();
  }
  EXPECT_EQ(document.size(), total.value_or(0));
  return document;
}

void ExpectMatchesPpq(const E2eCase& e2e, const std::vector<v1::BakeEvent>& events) {
  ASSERT_FALSE(events.empty());
  ASSERT_TRUE(events.back().has_summary());
  const std::vector<v1::ConfigUpdate> updates = ConfigUpdates(events);
  ExpectStatesOfPpq(e2e, updates);
  std::set<std::string> baked;
  for (const v1::ConfigUpdate& update : updates) {
    if (update.baked()) baked.insert(update.variable());
  }
  EXPECT_FALSE(baked.empty());
  EXPECT_EQ(static_cast<size_t>(events.back().summary().baked() +
                                events.back().summary().passive_baked()),
            baked.size());
  const auto tensors = RebuiltTensors(events);
  EXPECT_EQ(tensors.size(), baked.size());
  for (const std::string& name : baked) {
    ASSERT_TRUE(tensors.count(name)) << name << " was baked but not streamed";
    ASSERT_TRUE(e2e.expected.count(name)) << name;
    EXPECT_TRUE(tensors.at(name).data == e2e.expected.at(name)) << name << " differs from PPQ's";
  }
}

}  // namespace qbake::testing
