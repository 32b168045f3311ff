// BakePipeline without a server: the test takes the steps a reactor would (writes,
// pool tasks, reads) one at a time, and checks what the pipeline asks for, the events
// it makes, and the call's outcome.
#include "server/bake_pipeline.h"

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "core/parameter_values.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/model_builder.h"

namespace qbake {
namespace {

using ::qbake::testing::MakeTensor;
using ::qbake::testing::ModelBuilder;
using ::testing::HasSubstr;

const std::vector<float> kWeights = {0.31f, -0.52f, 0.113f, 0.9f};
const std::vector<float> kBias = {0.5f, -0.25f};

TensorConfigSpec Spec(const std::string& variable) {
  TensorConfigSpec spec;
  spec.operation = "conv";
  spec.variable = variable;
  spec.policy = kPerTensor | kLinear | kSymmetrical;
  spec.state = QuantState::kActivated;
  spec.scale = {0.25};
  spec.offset = {0};
  return spec;
}

std::unique_ptr<onnx::ModelProto> ConvModel(std::vector<float> weights = kWeights) {
  return std::make_unique<onnx::ModelProto>(ModelBuilder()
                                                .Node("Conv", "conv", {"x", "w", "b"}, {"y"})
                                                .Initializer(MakeTensor("w", {2, 1, 1, 2}, weights))
                                                .Initializer(MakeTensor("b", {2}, kBias))
                                                .model());
}

BakeSettings Settings(std::vector<TensorConfigSpec> specs) {
  BakeSettings settings;
  settings.specs = std::move(specs);
  settings.options.want_integers = true;
  return settings;
}

// The model `ConvModel(weights)` becomes in a local bake of `specs`.
onnx::ModelProto LocallyBaked(const std::vector<TensorConfigSpec>& specs,
                              std::vector<float> weights = kWeights) {
  std::unique_ptr<onnx::ModelProto> model = ConvModel(std::move(weights));
  ThreadPool pool(1);
  EXPECT_TRUE(BakeSession(&pool, {}).Run(model.get(), specs).ok());
  return *model;
}

// Plays the reactor: takes every step the pipeline asks for, in the order a reactor
// takes them, each at once, until it asks for nothing.
class Driver {
 public:
  explicit Driver(BakePipeline* pipeline) : pipeline_(pipeline) {}

  void RunToRest() {
    for (int round = 0; round < 1000; ++round) {
      const BakePipeline::Steps steps = Next();
      if (steps.read) ++reads_asked;
      if (!steps.write && !steps.bake && !steps.export_model) return;
      if (steps.write) pipeline_->WriteDone();
      if (steps.bake) {
        pipeline_->Bake(*steps.bake);
        pipeline_->TaskDone();
      }
      if (steps.export_model) {
        pipeline_->Export(&memory_);
        pipeline_->TaskDone();
      }
    }
    ADD_FAILURE() << "the pipeline never came to rest";
  }

  BakePipeline::Steps Next() {
    return pipeline_->Next([this](const v1::BakeEvent& event) {
      if (!write_error.ok()) return write_error;
      events.push_back(event);
      return absl::OkStatus();
    });
  }

  // The data of the tensor `name` in the TensorChunks written.
  std::string TensorData(const std::string& name) const {
    std::string data;
    for (const v1::BakeEvent& event : events) {
      if (event.has_tensor() && event.tensor().name() == name) data += event.tensor().data();
    }
    return data;
  }

  std::vector<v1::BakeEvent> events;
  absl::Status write_error;
  int reads_asked = 0;

 private:
  BakePipeline* const pipeline_;
  MemoryBudget budget_{0};
  MemoryBudget::Account memory_{&budget_};
};

BakePipeline MakePipeline() {
  static ThreadPool pool(2);
  return BakePipeline(&pool, absl::Now(), [] { return false; });
}

TEST(BakePipelineTest, BakesEveryParameterAndEndsWithTheUpdatesAndTheSummary) {
  BakePipeline pipeline = MakePipeline();
  const std::vector<TensorConfigSpec> specs = {Spec("w"), Spec("b")};
  ASSERT_TRUE(pipeline.Start(ConvModel(), Settings(specs), /*external_follows=*/false).ok());
  pipeline.InputComplete();
  Driver driver(&pipeline);
  driver.RunToRest();

  ASSERT_EQ(pipeline.Outcome(), absl::OkStatus());
  EXPECT_EQ(pipeline.parameters(), 2);
  const onnx::ModelProto local = LocallyBaked(specs);
  EXPECT_EQ(driver.TensorData("w"), local.graph().initializer(0).raw_data());
  EXPECT_EQ(driver.TensorData("b"), local.graph().initializer(1).raw_data());
  // Tensor, integers, tensor, integers; two updates; the summary last.
  ASSERT_EQ(driver.events.size(), 7u);
  EXPECT_TRUE(driver.events[0].has_tensor());
  EXPECT_TRUE(driver.events[1].has_integers());
  EXPECT_EQ(driver.events[1].integers().type(), v1::INT8);
  EXPECT_TRUE(driver.events[4].has_config());
  EXPECT_TRUE(driver.events[5].has_config());
  EXPECT_TRUE(driver.events[6].has_summary());
  EXPECT_EQ(driver.events[6].summary().baked(), 2);
}

TEST(BakePipelineTest, AsksForOneWriteAndOnePoolTaskAtATime) {
  BakePipeline pipeline = MakePipeline();
  ASSERT_TRUE(
      pipeline.Start(ConvModel(), Settings({Spec("w"), Spec("b")}), /*external_follows=*/false)
          .ok());
  pipeline.InputComplete();
  Driver driver(&pipeline);

  BakePipeline::Steps steps = driver.Next();
  ASSERT_EQ(steps.bake, std::optional<size_t>(0));  // w, first in config order
  EXPECT_FALSE(steps.write);
  EXPECT_TRUE(pipeline.working());
  EXPECT_FALSE(driver.Next().bake);  // b waits for the pool task
  pipeline.Bake(0);
  pipeline.TaskDone();

  steps = driver.Next();
  EXPECT_TRUE(steps.write);
  EXPECT_EQ(steps.bake, std::optional<size_t>(1));
  EXPECT_TRUE(pipeline.writing());
  EXPECT_FALSE(driver.Next().write);            // the next chunk waits for the write
  EXPECT_EQ(pipeline.Outcome(), std::nullopt);  // a write and a task are in flight
  pipeline.WriteDone();
  pipeline.Bake(1);
  pipeline.TaskDone();
  driver.RunToRest();
  EXPECT_EQ(pipeline.Outcome(), absl::OkStatus());
}

TEST(BakePipelineTest, AsksForInputUntilItIsCompleteAndWaitsForExternalData) {
  BakePipeline pipeline = MakePipeline();
  Driver driver(&pipeline);
  EXPECT_TRUE(driver.Next().read);  // before the model is known, too

  std::unique_ptr<onnx::ModelProto> model = ConvModel();
  onnx::TensorProto* w = model->mutable_graph()->mutable_initializer(0);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  ASSERT_TRUE(
      pipeline.Start(std::move(model), Settings({Spec("w"), Spec("b")}), /*external_follows=*/true)
          .ok());
  BakePipeline::Steps steps = driver.Next();
  EXPECT_EQ(steps.bake, std::optional<size_t>(1));  // b is inline; w has not arrived
  EXPECT_TRUE(steps.read);
  pipeline.Bake(1);
  pipeline.TaskDone();
  driver.RunToRest();
  EXPECT_EQ(pipeline.Outcome(), std::nullopt);  // w is still to come

  w->set_data_location(onnx::TensorProto::DEFAULT);
  pipeline.MarkReady({w});
  pipeline.InputComplete();
  driver.reads_asked = 0;
  driver.RunToRest();
  EXPECT_EQ(driver.reads_asked, 0);
  EXPECT_EQ(pipeline.Outcome(), absl::OkStatus());
  EXPECT_EQ(pipeline.parameters(), 2);
}

TEST(BakePipelineTest, ReportsTheFirstFailureInConfigOrderAndSendsNoResultsAfterIt) {
  BakePipeline pipeline = MakePipeline();
  std::vector<float> weights = kWeights;
  weights[2] = std::numeric_limits<float>::quiet_NaN();
  ASSERT_TRUE(pipeline
                  .Start(ConvModel(weights), Settings({Spec("w"), Spec("b")}),
                         /*external_follows=*/false)
                  .ok());
  pipeline.InputComplete();
  Driver driver(&pipeline);
  driver.RunToRest();

  const std::optional<absl::Status> outcome = pipeline.Outcome();
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(outcome->message()), HasSubstr("variable 'w'"));
  for (const v1::BakeEvent& event : driver.events) {
    EXPECT_FALSE(event.has_summary());
    EXPECT_FALSE(event.has_tensor()) << event.tensor().name();
  }
}

TEST(BakePipelineTest, EndsWithTheFirstErrorOnceNothingIsInFlight) {
  BakePipeline pipeline = MakePipeline();
  ASSERT_TRUE(pipeline.Start(ConvModel(), Settings({Spec("w")}), /*external_follows=*/false).ok());
  pipeline.InputComplete();
  Driver driver(&pipeline);
  ASSERT_TRUE(driver.Next().bake);
  pipeline.Fail(absl::CancelledError("first"));
  pipeline.Fail(absl::InternalError("second"));
  EXPECT_EQ(pipeline.Outcome(), std::nullopt);  // the bake is in flight
  pipeline.Bake(0);
  pipeline.TaskDone();
  const BakePipeline::Steps steps = driver.Next();
  EXPECT_FALSE(steps.write || steps.bake || steps.export_model || steps.read);
  EXPECT_EQ(pipeline.Outcome(), absl::CancelledError("first"));
}

TEST(BakePipelineTest, AWriterErrorEndsTheCall) {
  BakePipeline pipeline = MakePipeline();
  ASSERT_TRUE(pipeline.Start(ConvModel(), Settings({Spec("w")}), /*external_follows=*/false).ok());
  pipeline.InputComplete();
  Driver driver(&pipeline);
  driver.write_error = absl::ResourceExhaustedError("no memory for the event");
  driver.RunToRest();
  EXPECT_TRUE(driver.events.empty());
  EXPECT_EQ(pipeline.Outcome(), driver.write_error);
}

TEST(BakePipelineTest, RefusesConfigsThatDoNotResolve) {
  BakePipeline pipeline = MakePipeline();
  const absl::Status started =
      pipeline.Start(ConvModel(), Settings({Spec("missing")}), /*external_follows=*/false);
  EXPECT_EQ(started.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(started.message()), HasSubstr("variable 'missing'"));
}

}  // namespace
}  // namespace qbake
