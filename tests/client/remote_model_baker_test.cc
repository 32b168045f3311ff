// The client library against an in-process fake server: RemoteModelBaker rebuilds
// the local bake's model and outcome from a reply, whatever the storage form of each
// parameter and however the data is chunked; a request that fits one message goes
// by Bake, a larger one by BakeStream with its large tensors as external data; the
// server's status comes back unchanged; a reply that breaks the protocol or does not
// answer the request, in any way a lying server could, is INTERNAL; and on any error
// the model is unchanged.
#include "client/remote_model_baker.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "client/bake_stream_upload.h"
#include "client/remote_channel.h"
#include "client/remote_health.h"
#include "client/tensor_store.h"
#include "core/quant_config.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "tests/client/bake_replies.h"
#include "tests/client/fake_baker.h"
#include "tests/support/loopback_port.h"
#include "tests/support/model_builder.h"
#include "tests/support/model_parameters.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;

std::vector<float> Values(size_t count) {
  std::vector<float> values(count);
  for (size_t i = 0; i < count; ++i) values[i] = 0.37f * static_cast<float>(i % 23) - 2.9f;
  return values;
}

TensorConfigSpec Spec(const std::string& operation, const std::string& variable, double scale) {
  TensorConfigSpec spec;
  spec.operation = operation;
  spec.variable = variable;
  spec.policy = kPerTensor | kLinear | kSymmetrical;
  spec.state = QuantState::kActivated;
  spec.scale = {scale};
  spec.offset = {0};
  return spec;
}

// One Mul per parameter: FLOAT raw and typed, FLOAT16 typed, BFLOAT16 raw in a Constant.
onnx::ModelProto MixedStorageModel() {
  return ModelBuilder()
      .Node("Mul", "m1", {"x", "w_raw"}, {"y1"})
      .Node("Mul", "m2", {"x", "w_typed"}, {"y2"})
      .Node("Mul", "m3", {"x", "h_typed"}, {"y3"})
      .Node("Mul", "m4", {"x", "b_raw"}, {"y4"})
      .Initializer(MakeTensor("w_raw", {4, 8}, Values(32)))
      .Initializer(
          MakeTensor("w_typed", {3, 5}, Values(15), onnx::TensorProto::FLOAT, Storage::kTyped))
      .Initializer(
          MakeTensor("h_typed", {6}, Values(6), onnx::TensorProto::FLOAT16, Storage::kTyped))
      .Constant(MakeTensor("b_raw", {2, 3}, Values(6), onnx::TensorProto::BFLOAT16))
      .model();
}

std::vector<TensorConfigSpec> MixedStorageSpecs() {
  return {Spec("m1", "w_raw", 0.05), Spec("m2", "w_typed", 0.04), Spec("m3", "h_typed", 0.03),
          Spec("m4", "b_raw", 0.02)};
}

// MixedStorageModel with configs that do not all bake: `p`, PASSIVE (baked, before
// b_raw, which stays the last baked); `f`, FP32, and the activations y1, ACTIVATED,
// and y2, BAKED (all left as they are; y2 still counts as baked); and an initializer
// `extra` that no config names.
onnx::ModelProto MixedConfigsModel() {
  ModelBuilder builder;
  *builder.mutable_model() = MixedStorageModel();
  builder.Node("Mul", "m5", {"x", "p"}, {"y5"})
      .Node("Mul", "m6", {"x", "f"}, {"y6"})
      .Initializer(MakeTensor("p", {5}, Values(5)))
      .Initializer(MakeTensor("f", {3}, Values(3)))
      .Initializer(MakeTensor("extra", {4}, Values(4)));
  return builder.model();
}

// Configs 0 to 7: m1/w_raw, m2/w_typed, m3/h_typed, m5/p, m4/b_raw, m6/f, m1/y1, m2/y2.
std::vector<TensorConfigSpec> MixedConfigsSpecs() {
  std::vector<TensorConfigSpec> specs = MixedStorageSpecs();
  TensorConfigSpec passive = Spec("m5", "p", 0.06);
  passive.state = QuantState::kPassive;
  specs.insert(specs.begin() + 3, passive);
  TensorConfigSpec fp32 = Spec("m6", "f", 0.07);
  fp32.state = QuantState::kFp32;
  specs.push_back(fp32);
  specs.push_back(Spec("m1", "y1", 0.08));
  TensorConfigSpec baked_before = Spec("m2", "y2", 0.09);
  baked_before.state = QuantState::kBaked;
  specs.push_back(baked_before);
  return specs;
}

// Above the 3 MiB a single Bake request may carry: a 5 MiB initializer and an
// 80 KiB Constant go as external data, the 1 KiB initializer stays inline.
onnx::ModelProto LargeModel() {
  return ModelBuilder()
      .Node("MatMul", "big_mm", {"x", "big"}, {"y"})
      .Node("Add", "add", {"y", "k"}, {"z"})
      .Node("Mul", "mul", {"z", "small"}, {"out"})
      .Initializer(MakeTensor("big", {1024, 1280}, Values(1024 * 1280)))
      .Initializer(MakeTensor("small", {256}, Values(256)))
      .Constant(MakeTensor("k", {128, 160}, Values(128 * 160)))
      .model();
}

std::vector<TensorConfigSpec> LargeModelSpecs() {
  return {Spec("big_mm", "big", 0.05), Spec("add", "k", 0.02), Spec("mul", "small", 0.01)};
}

void ExpectSameOutcome(const BakeOutcome& remote, const BakeOutcome& local) {
  ASSERT_EQ(remote.configs.size(), local.configs.size());
  for (size_t i = 0; i < local.configs.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(remote.configs[i].state_after, local.configs[i].state_after);
    EXPECT_EQ(remote.configs[i].baked, local.configs[i].baked);
    EXPECT_EQ(remote.configs[i].scale, local.configs[i].scale);
    EXPECT_EQ(remote.configs[i].offset, local.configs[i].offset);
    EXPECT_EQ(remote.configs[i].scale_derived, local.configs[i].scale_derived);
  }
  const BakeSummary& r = remote.summary;
  const BakeSummary& l = local.summary;
  EXPECT_EQ(std::vector<int64_t>({r.configs, r.baked, r.passive_baked, r.unchanged, r.bytes}),
            std::vector<int64_t>({l.configs, l.baked, l.passive_baked, l.unchanged, l.bytes}));
  ASSERT_EQ(r.parameters.size(), l.parameters.size());
  for (size_t i = 0; i < l.parameters.size(); ++i) {
    EXPECT_EQ(r.parameters[i].variable, l.parameters[i].variable);
    EXPECT_EQ(r.parameters[i].elements, l.parameters[i].elements);
    EXPECT_EQ(r.parameters[i].max_abs_error, l.parameters[i].max_abs_error);
    EXPECT_EQ(r.parameters[i].mean_squared_error, l.parameters[i].mean_squared_error);
  }
}

class RemoteModelBakerTest : public ::testing::Test {
 protected:
  std::shared_ptr<grpc::Channel> Channel(const std::string& target) {
    ChannelSettings settings;
    settings.target = target;
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(settings);
    EXPECT_TRUE(channel.ok()) << channel.status();
    return channel.value_or(nullptr);
  }

  absl::StatusOr<BakeOutcome> BakeRemotely(onnx::ModelProto* model,
                                           const std::vector<TensorConfigSpec>& specs,
                                           BakeOptions options = {},
                                           RemoteBakeSettings settings = {}) {
    RemoteModelBaker baker(Channel(server_.target()), settings);
    return baker.Bake(model, specs, options);
  }

  // Bakes `model` remotely, the fake answering as a correct server would, and
  // expects the local bake's model and outcome.
  void ExpectLocalResult(const onnx::ModelProto& model, const std::vector<TensorConfigSpec>& specs,
                         size_t chunk_bytes) {
    const LocalBake local = BakeLocally(model, specs);
    server_.baker().SetReply({ReplyOf(local, specs, chunk_bytes), grpc::Status::OK});
    onnx::ModelProto remote_model = model;
    absl::StatusOr<BakeOutcome> remote = BakeRemotely(&remote_model, specs);
    ASSERT_TRUE(remote.ok()) << remote.status();
    EXPECT_TRUE(remote_model.SerializeAsString() == local.model.SerializeAsString());
    ExpectSameOutcome(*remote, local.outcome);
  }

  FakeServer server_;
};

TEST_F(RemoteModelBakerTest, RebuildsTheLocalBakeInEveryStorageForm) {
  ExpectLocalResult(MixedStorageModel(), MixedStorageSpecs(), 7);
}

TEST_F(RemoteModelBakerTest, RebuildsTheLocalBakeFromOneChunkPerTensor) {
  ExpectLocalResult(MixedStorageModel(), MixedStorageSpecs(), 1 << 20);
}

TEST_F(RemoteModelBakerTest, RebuildsTheLocalBakeOfConfigsThatDoNotAllBake) {
  ExpectLocalResult(MixedConfigsModel(), MixedConfigsSpecs(), 8);
}

TEST_F(RemoteModelBakerTest, SmallModelTravelsInOneBakeRequest) {
  const onnx::ModelProto model = MixedStorageModel();
  ExpectLocalResult(model, MixedStorageSpecs(), 64);
  const std::vector<FakeCall> calls = server_.baker().calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_FALSE(calls[0].streamed);
  EXPECT_TRUE(calls[0].request.model() == model.SerializeAsString());
  EXPECT_EQ(calls[0].request.configs_size(), 4);
  EXPECT_EQ(calls[0].request.configs(2).variable(), "h_typed");
  EXPECT_FALSE(calls[0].request.options().want_integers());
}

// The BakeStream messages of the one call: the header, the model, and each
// location's bytes put back together.
struct ReceivedStream {
  v1::BakeStreamHeader header;
  onnx::ModelProto model;
  std::map<std::string, std::string> external;
  size_t largest_data = 0;
};

ReceivedStream Receive(const std::vector<v1::BakeStreamRequest>& messages) {
  ReceivedStream received;
  std::string model;
  EXPECT_TRUE(messages.at(0).has_header());
  received.header = messages.at(0).header();
  for (const v1::BakeStreamRequest& message : messages) {
    if (message.has_model_data()) {
      model += message.model_data();
      received.largest_data = std::max(received.largest_data, message.model_data().size());
    }
    if (message.has_external_data()) {
      const v1::ExternalDataChunk& chunk = message.external_data();
      std::string& bytes = received.external[chunk.location()];
      EXPECT_EQ(chunk.offset(), bytes.size()) << chunk.location();
      bytes += chunk.data();
      received.largest_data = std::max(received.largest_data, chunk.data().size());
    }
  }
  EXPECT_EQ(received.header.model_bytes(), model.size());
  EXPECT_TRUE(received.model.ParseFromString(model));
  return received;
}

TEST_F(RemoteModelBakerTest, LargeModelTravelsByBakeStreamWithItsLargeTensorsExternal) {
  const onnx::ModelProto model = LargeModel();
  ExpectLocalResult(model, LargeModelSpecs(), 1 << 20);
  const std::vector<FakeCall> calls = server_.baker().calls();
  ASSERT_EQ(calls.size(), 1u);
  ASSERT_TRUE(calls[0].streamed);
  const ReceivedStream received = Receive(calls[0].messages);
  EXPECT_EQ(received.header.configs_size(), 3);
  EXPECT_LE(received.largest_data, kStreamChunkBytes);
  const onnx::TensorProto& big = received.model.graph().initializer(0);
  const onnx::TensorProto& small = received.model.graph().initializer(1);
  const onnx::TensorProto& k = received.model.graph().node(3).attribute(0).t();
  EXPECT_EQ(small.raw_data(), model.graph().initializer(1).raw_data());
  for (const onnx::TensorProto* tensor : {&big, &k}) {
    SCOPED_TRACE(tensor->name());
    EXPECT_EQ(tensor->data_location(), onnx::TensorProto::EXTERNAL);
    EXPECT_FALSE(tensor->has_raw_data());
    const std::map<std::string, std::string> entries = ExternalEntries(*tensor);
    ASSERT_TRUE(received.external.count(entries.at("location")));
    const std::string& bytes = received.external.at(entries.at("location"));
    EXPECT_EQ(entries.at("offset"), "0");
    EXPECT_EQ(entries.at("length"), std::to_string(bytes.size()));
  }
  EXPECT_TRUE(received.external.at(ExternalEntries(big).at("location")) ==
              model.graph().initializer(0).raw_data());
  EXPECT_TRUE(received.external.at(ExternalEntries(k).at("location")) ==
              model.graph().node(3).attribute(0).t().raw_data());
}

// A tensor that is not EXTERNAL may carry external_data entries (ONNX ignores them):
// they stay in the model, as a local bake leaves them, but are not sent as the
// tensor's, which the server would take them for (found by differential_bake_fuzzer).
TEST_F(RemoteModelBakerTest, EntriesOfATensorNotStoredExternallyAreNotSent) {
  onnx::ModelProto model = LargeModel();
  onnx::StringStringEntryProto* stale =
      model.mutable_graph()->mutable_initializer(0)->add_external_data();
  stale->set_key("offset");
  stale->set_value("");
  ExpectLocalResult(model, LargeModelSpecs(), 1 << 20);
  const std::vector<FakeCall> calls = server_.baker().calls();
  ASSERT_EQ(calls.size(), 1u);
  const ReceivedStream received = Receive(calls[0].messages);
  const onnx::TensorProto& big = received.model.graph().initializer(0);
  EXPECT_EQ(big.external_data_size(), 3);
  EXPECT_EQ(ExternalEntries(big).at("offset"), "0");
}

// Every baker refuses a tensor still stored as external data (never loaded) alike,
// before anything is sent; a local bake used to read the raw_data it kept.
TEST_F(RemoteModelBakerTest, ATensorNotLoadedFromExternalDataIsRefusedAsLocally) {
  for (const bool has_location : {false, true}) {
    SCOPED_TRACE(has_location);
    onnx::ModelProto model = LargeModel();
    onnx::TensorProto* small = model.mutable_graph()->mutable_initializer(1);
    small->set_data_location(onnx::TensorProto::EXTERNAL);
    if (has_location) MakeExternal(small, {{"location", "small.bin"}});
    const onnx::ModelProto given = model;
    const absl::StatusOr<BakeOutcome> remote = BakeRemotely(&model, LargeModelSpecs());
    onnx::ModelProto local_model = given;
    const absl::StatusOr<BakeOutcome> local =
        LocalModelBaker(1).Bake(&local_model, LargeModelSpecs(), BakeOptions());
    EXPECT_EQ(remote.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(
        remote.status().message(),
        HasSubstr("tensor 'small': its data is stored as external data that was not loaded"));
    EXPECT_EQ(local.status(), remote.status());
    EXPECT_TRUE(model.SerializeAsString() == given.SerializeAsString());
    EXPECT_TRUE(server_.baker().calls().empty());
  }
}

TEST_F(RemoteModelBakerTest, BakeStreamReportsUploadProgressUpToTheTotal) {
  onnx::ModelProto model = LargeModel();
  server_.baker().SetReply(
      {ReplyOf(BakeLocally(model, LargeModelSpecs()), LargeModelSpecs(), 1 << 20),
       grpc::Status::OK});
  BakeOptions options;
  std::vector<std::pair<int64_t, int64_t>> reports;
  options.progress = [&reports](int64_t done, int64_t total) { reports.emplace_back(done, total); };
  ASSERT_TRUE(BakeRemotely(&model, LargeModelSpecs(), options).ok());
  ASSERT_GT(reports.size(), 5u);
  const int64_t tensor_bytes = (1024 * 1280 + 128 * 160) * 4;
  EXPECT_GT(reports.back().second, tensor_bytes);
  EXPECT_EQ(reports.back().first, reports.back().second);
}

TEST_F(RemoteModelBakerTest, ServerErrorComesBackWithItsCodeAndMessage) {
  const std::string message = "operation 'm1', variable 'w_raw', field 'scale': not finite";
  server_.baker().SetReply({{}, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message)});
  onnx::ModelProto model = MixedStorageModel();
  const absl::StatusOr<BakeOutcome> outcome = BakeRemotely(&model, MixedStorageSpecs());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(outcome.status().message(), message);
  EXPECT_TRUE(model.SerializeAsString() == MixedStorageModel().SerializeAsString());
}

TEST_F(RemoteModelBakerTest, FailedStreamLeavesTheModelAsItWas) {
  server_.baker().SetReply({{}, grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too big")});
  onnx::ModelProto model = LargeModel();
  const absl::StatusOr<BakeOutcome> outcome = BakeRemotely(&model, LargeModelSpecs());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(outcome.status().message(), "too big");
  EXPECT_TRUE(model.SerializeAsString() == LargeModel().SerializeAsString());
}

// A TensorStore in memory: the raw_data of the tensors it holds, moved out of the
// model; a read or a write of one may be made to fail.
class MemoryStore final : public TensorStore {
 public:
  // Moves the raw_data of `tensor` into the store.
  void Hold(onnx::TensorProto* tensor) {
    std::string& bytes = bytes_[tensor];
    bytes.swap(*tensor->mutable_raw_data());
    tensor->clear_raw_data();
  }
  std::string Bytes(const onnx::TensorProto* tensor) const {
    absl::MutexLock lock(&mutex_);
    return bytes_.at(tensor);
  }
  void FailReads(absl::Status status) { read_error_ = std::move(status); }
  void FailWrites(absl::Status status) { write_error_ = std::move(status); }
  size_t largest_read() const {
    absl::MutexLock lock(&mutex_);
    return largest_read_;
  }

  std::optional<uint64_t> Size(const onnx::TensorProto& tensor) const override {
    const auto held = bytes_.find(&tensor);
    if (held == bytes_.end()) return std::nullopt;
    return held->second.size();
  }
  absl::Status Read(const onnx::TensorProto& tensor, uint64_t offset,
                    absl::Span<char> into) const override {
    if (!read_error_.ok()) return read_error_;
    absl::MutexLock lock(&mutex_);
    largest_read_ = std::max(largest_read_, into.size());
    bytes_.at(&tensor).copy(into.data(), into.size(), offset);
    return absl::OkStatus();
  }
  absl::Status Write(const onnx::TensorProto& tensor, uint64_t offset,
                     absl::string_view bytes) const override {
    if (!write_error_.ok()) return write_error_;
    absl::MutexLock lock(&mutex_);
    bytes_.at(&tensor).replace(offset, bytes.size(), bytes.data(), bytes.size());
    return absl::OkStatus();
  }

 private:
  mutable absl::Mutex mutex_;
  mutable std::map<const onnx::TensorProto*, std::string> bytes_;
  mutable size_t largest_read_ = 0;
  absl::Status read_error_;
  absl::Status write_error_;
};

class StoredTensorsTest : public RemoteModelBakerTest {
 protected:
  // LargeModel with the raw_data of 'big' and of 'small' in the store.
  void SetUp() override {
    model_ = LargeModel();
    store_.Hold(Big(&model_));
    store_.Hold(Small(&model_));
    given_ = model_;
  }
  static onnx::TensorProto* Big(onnx::ModelProto* model) {
    return model->mutable_graph()->mutable_initializer(0);
  }
  static onnx::TensorProto* Small(onnx::ModelProto* model) {
    return model->mutable_graph()->mutable_initializer(1);
  }

  void ReplyAsACorrectServer() {
    server_.baker().SetReply(
        {ReplyOf(BakeLocally(LargeModel(), LargeModelSpecs()), LargeModelSpecs(), 1000),
         grpc::Status::OK});
  }

  absl::StatusOr<BakeOutcome> BakeStored() {
    RemoteModelBaker baker(Channel(server_.target()));
    return baker.BakeStored(&model_, store_, LargeModelSpecs(), BakeOptions());
  }

  onnx::ModelProto model_;
  onnx::ModelProto given_;
  MemoryStore store_;
};

// The store's tensors travel as external data read from it a chunk at a time (even
// the small one, which alone would fit one Bake request), and their baked bytes go
// into it; the tensor the model holds is baked in the model, as Bake bakes it.
TEST_F(StoredTensorsTest, TravelFromTheStoreAndTheirBakedBytesGoBackIntoIt) {
  const LocalBake local = BakeLocally(LargeModel(), LargeModelSpecs());
  server_.baker().SetReply({ReplyOf(local, LargeModelSpecs(), 1000), grpc::Status::OK});
  const absl::StatusOr<BakeOutcome> outcome = BakeStored();
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ExpectSameOutcome(*outcome, local.outcome);
  onnx::ModelProto local_model = local.model;
  for (onnx::TensorProto* baked : {Big(&local_model), Small(&local_model)}) {
    const onnx::TensorProto* stored = baked == Big(&local_model) ? Big(&model_) : Small(&model_);
    EXPECT_TRUE(store_.Bytes(stored) == baked->raw_data()) << baked->name();
    baked->clear_raw_data();
  }
  EXPECT_TRUE(model_.SerializeAsString() == local_model.SerializeAsString());
  EXPECT_LE(store_.largest_read(), kStreamChunkBytes);

  const std::vector<FakeCall> calls = server_.baker().calls();
  ASSERT_EQ(calls.size(), 1u);
  ASSERT_TRUE(calls[0].streamed);
  const ReceivedStream received = Receive(calls[0].messages);
  const onnx::ModelProto original = LargeModel();
  for (int i : {0, 1}) {
    const onnx::TensorProto& sent = received.model.graph().initializer(i);
    SCOPED_TRACE(sent.name());
    EXPECT_EQ(sent.data_location(), onnx::TensorProto::EXTERNAL);
    EXPECT_TRUE(received.external.at(ExternalEntries(sent).at("location")) ==
                original.graph().initializer(i).raw_data());
  }
}

TEST_F(StoredTensorsTest, AReadThatFailsEndsTheBakeWithItsError) {
  ReplyAsACorrectServer();
  const absl::Status failed = absl::FailedPreconditionError("tensor 'big': the file shrank");
  store_.FailReads(failed);
  EXPECT_EQ(BakeStored().status(), failed);
  EXPECT_TRUE(model_.SerializeAsString() == given_.SerializeAsString());
}

TEST_F(StoredTensorsTest, AWriteThatFailsEndsTheBakeWithItsError) {
  ReplyAsACorrectServer();
  const absl::Status failed = absl::ResourceExhaustedError("no space left on device");
  store_.FailWrites(failed);
  EXPECT_EQ(BakeStored().status(), failed);
  EXPECT_TRUE(model_.SerializeAsString() == given_.SerializeAsString());
}

TEST_F(RemoteModelBakerTest, DeadlineEndsASlowCall) {
  server_.baker().SetReply({{}, grpc::Status::OK, absl::Seconds(10)});
  onnx::ModelProto model = MixedStorageModel();
  RemoteBakeSettings settings;
  settings.deadline = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  const absl::StatusOr<BakeOutcome> outcome =
      BakeRemotely(&model, MixedStorageSpecs(), {}, settings);
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

// Retries: with their count and wait told to on_retry, and the status saying how
// many came before it gave up.
RemoteBakeSettings CountingRetries(int retries, std::vector<absl::Duration>* waits) {
  RemoteBakeSettings settings;
  settings.retry.retries = retries;
  settings.on_retry = [waits](const absl::Status&, int, absl::Duration wait) {
    waits->push_back(wait);
  };
  return settings;
}

TEST_F(RemoteModelBakerTest, UnreachableServerIsUnavailableAfterTheRetries) {
  std::vector<absl::Duration> waits;
  RemoteModelBaker baker(Channel(absl::StrCat("127.0.0.1:", ClosedLoopbackPort())),
                         CountingRetries(2, &waits));
  onnx::ModelProto model = MixedStorageModel();
  const absl::Status status = baker.Bake(&model, MixedStorageSpecs(), {}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), ::testing::EndsWith("(gave up after 2 retries)"));
  ASSERT_EQ(waits.size(), 2u);
  // 250 ms then 500 ms, each within 20% jitter.
  EXPECT_GE(waits[0], absl::Milliseconds(200));
  EXPECT_LE(waits[0], absl::Milliseconds(300));
  EXPECT_GE(waits[1], absl::Milliseconds(400));
  EXPECT_LE(waits[1], absl::Milliseconds(600));
}

// RESOURCE_EXHAUSTED "busy" with a RetryInfo hint of `wait`, as a busy server answers.
grpc::Status BusyWithHint(absl::Duration wait) {
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(wait)));
  google::rpc::Status details;
  details.set_code(grpc::StatusCode::RESOURCE_EXHAUSTED);
  details.add_details()->PackFrom(retry);
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "busy", details.SerializeAsString());
}

// A differential fuzzer finding: a retry answered by a refusal said "(gave up after 1
// retry)", where a local bake gives the refusal alone.
TEST_F(RemoteModelBakerTest, ARefusalAfterARetryIsTheRefusalAsItCame) {
  server_.baker().SetNextReply({{}, BusyWithHint(absl::Milliseconds(10))});
  server_.baker().SetReply(
      {{}, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "operation 'op', variable 'v': bad")});
  std::vector<absl::Duration> waits;
  onnx::ModelProto model = MixedStorageModel();
  const absl::Status status =
      BakeRemotely(&model, MixedStorageSpecs(), {}, CountingRetries(3, &waits)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "operation 'op', variable 'v': bad");
  EXPECT_EQ(waits.size(), 1u);
  EXPECT_EQ(server_.baker().calls().size(), 2u);
}

TEST_F(RemoteModelBakerTest, ABusyServersHintIsHonouredAndARefusalIsNotRetried) {
  server_.baker().SetReply({{}, BusyWithHint(absl::Milliseconds(700))});
  std::vector<absl::Duration> waits;
  onnx::ModelProto model = MixedStorageModel();
  absl::Status status =
      BakeRemotely(&model, MixedStorageSpecs(), {}, CountingRetries(1, &waits)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(), "busy (gave up after 1 retry)");
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_EQ(waits[0], absl::Milliseconds(700));  // the hint beats 250 ms +- 20%
  EXPECT_EQ(server_.baker().calls().size(), 2u);

  // A model the server refuses is refused again: no retry.
  server_.baker().SetReply({{}, grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too big")});
  waits.clear();
  status = BakeRemotely(&model, MixedStorageSpecs(), {}, CountingRetries(3, &waits)).status();
  EXPECT_EQ(status.message(), "too big");
  EXPECT_TRUE(waits.empty());
  EXPECT_EQ(server_.baker().calls().size(), 3u);
}

TEST_F(RemoteModelBakerTest, HealthCheckReportsTheServingStatus) {
  server_.SetServing(false);
  EXPECT_EQ(CheckHealth(Channel(server_.target()), absl::Seconds(10)).value_or(ServingStatus()),
            grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  server_.SetServing(true);
  EXPECT_EQ(CheckHealth(Channel(server_.target()), absl::Seconds(10)).value_or(ServingStatus()),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

// A correct reply for MixedConfigsModel (in 8-byte chunks), spoiled by `spoil`.
struct MalformedCase {
  std::string name;
  std::function<void(std::vector<v1::BakeEvent>*)> spoil;
  std::string culprit;  // in the message
};

v1::ConfigUpdate* ConfigOf(size_t index, std::vector<v1::BakeEvent>* events) {
  return (*events)[FirstConfigEvent(*events) + index].mutable_config();
}

v1::BakeSummary* SummaryOf(std::vector<v1::BakeEvent>* events) {
  return events->back().mutable_summary();
}

v1::ParameterSummary* SummaryParameter(int index, std::vector<v1::BakeEvent>* events) {
  return SummaryOf(events)->mutable_parameters(index);
}

// Chunks, and the protocol around them.
std::vector<MalformedCase> ChunkCases() {
  using Events = std::vector<v1::BakeEvent>;
  return {
      {"UnknownParameter", [](Events* e) { (*e)[0].mutable_tensor()->set_name("nope"); },
       "'nope', which is no parameter"},
      {"OtherDims", [](Events* e) { (*e)[0].mutable_tensor()->set_dims(0, 5); }, "dims [5, 8]"},
      {"OtherElementType",
       [](Events* e) { (*e)[1].mutable_tensor()->set_data_type(onnx::TensorProto::DOUBLE); },
       "element type 11"},
      {"OtherTotalSize", [](Events* e) { (*e)[2].mutable_tensor()->set_total_bytes(256); },
       "came as 256 bytes"},
      {"GapBetweenChunks", [](Events* e) { e->erase(e->begin() + 1); }, "at offset 16"},
      {"ChunkPastTheEnd",
       [](Events* e) { (*e)[15].mutable_tensor()->mutable_data()->append("overflow"); },
       "runs past its 128 bytes"},
      {"LastChunkMissing",
       [](Events* e) { e->erase(e->begin() + static_cast<long>(FirstConfigEvent(*e)) - 1); },
       "'b_raw' was baked but did not arrive whole"},
      {"ChunksOfAParameterNoConfigNames",
       [](Events* e) {
         InsertChunksBeforeConfigs(MakeTensor("extra", {4}, std::vector<float>(4, 666)), 8, e);
       },
       "data for 'extra', a parameter no config bakes"},
      {"ChunksOfAParameterWhoseConfigDoesNotBake",
       [](Events* e) { InsertChunksBeforeConfigs(MakeTensor("f", {3}, Values(3)), 8, e); },
       "data for 'f', a parameter no config bakes"},
      {"IntegerChunkNotAskedFor",
       [](Events* e) {
         v1::BakeEvent integers;
         integers.mutable_integers()->set_name("w_raw");
         e->insert(e->begin() + static_cast<long>(FirstConfigEvent(*e)), integers);
       },
       "an IntegerChunk for 'w_raw', which the request did not ask for"},
      {"ConfigDocumentNotAskedFor",
       [](Events* e) {
         v1::BakeEvent document;
         document.mutable_config_document()->set_data("{}");
         e->insert(e->begin() + static_cast<long>(FirstConfigEvent(*e)), document);
       },
       "a ConfigDocumentChunk, for a request that sent no ppq_config_json"},
      {"NoSummary", [](Events* e) { e->pop_back(); }, "without a summary"},
      {"EventAfterTheSummary", [](Events* e) { e->push_back((*e)[0]); }, "after the summary"},
      {"EmptyEvent", [](Events* e) { e->insert(e->begin(), v1::BakeEvent()); }, "empty event"},
  };
}

std::vector<MalformedCase> ConfigUpdateCases() {
  using Events = std::vector<v1::BakeEvent>;
  return {
      {"ConfigUpdateMissing",
       [](Events* e) { e->erase(e->begin() + static_cast<long>(FirstConfigEvent(*e))); },
       "no update of config 0"},
      {"ConfigUpdateRepeated",
       [](Events* e) {
         const size_t first = FirstConfigEvent(*e);
         e->insert(e->begin() + static_cast<long>(first), (*e)[first]);
       },
       "second or out-of-range update of config 0"},
      {"ConfigUpdateOfAnotherPair", [](Events* e) { ConfigOf(0, e)->set_variable("w_typed"); },
       "'m1' / 'w_typed'"},
      {"StateBeforeOtherThanSent", [](Events* e) { ConfigOf(0, e)->set_before(v1::PASSIVE); },
       "config 0 ('m1' / 'w_raw') came back from state PASSIVE, sent as ACTIVATED"},
      {"BakingConfigNotBaked", [](Events* e) { ConfigOf(0, e)->set_baked(false); },
       "config 0 ('m1' / 'w_raw') came back not baked, but its ACTIVATED parameter bakes"},
      {"Fp32ConfigBaked", [](Events* e) { ConfigOf(5, e)->set_baked(true); },
       "config 5 ('m6' / 'f') came back baked, but its state FP32 does not bake"},
      {"ActivationConfigBaked", [](Events* e) { ConfigOf(6, e)->set_baked(true); },
       "config 6 ('m1' / 'y1') came back baked, but 'y1' is no parameter of the model"},
      {"StateAfterNotBakedState", [](Events* e) { ConfigOf(0, e)->set_after(v1::PASSIVE_BAKED); },
       "config 0 ('m1' / 'w_raw') came back in state PASSIVE_BAKED, expected BAKED"},
      {"PassiveStateAfterNotPassiveBaked", [](Events* e) { ConfigOf(3, e)->set_after(v1::BAKED); },
       "config 3 ('m5' / 'p') came back in state BAKED, expected PASSIVE_BAKED"},
      {"StateOfAConfigNotBakedChanged", [](Events* e) { ConfigOf(5, e)->set_after(v1::BAKED); },
       "config 5 ('m6' / 'f') came back in state BAKED, expected FP32"},
      {"ScaleOfAConfigNotBaked", [](Events* e) { ConfigOf(5, e)->add_scale(0.07f); },
       "config 5 ('m6' / 'f') came back not baked, yet with a scale"},
      {"ZeroPointsNotOnePerScale", [](Events* e) { ConfigOf(0, e)->add_zero_point(0); },
       "config 0 ('m1' / 'w_raw') came back baked with 1 scales and 2 zero_points"},
      {"NoScaleOfABakedConfig",
       [](Events* e) {
         ConfigOf(1, e)->clear_scale();
         ConfigOf(1, e)->clear_zero_point();
       },
       "config 1 ('m2' / 'w_typed') came back baked with 0 scales and 0 zero_points"},
      {"StatedScaleSaidDerived", [](Events* e) { ConfigOf(0, e)->set_scale_derived(true); },
       "config 0 ('m1' / 'w_raw') came back with scale_derived true, its scale is stated"},
      {"ScaleOtherThanStated", [](Events* e) { ConfigOf(1, e)->set_scale(0, 0.5f); },
       "config 1 ('m2' / 'w_typed') came back with a scale other than its stated one"},
      {"ZeroPointOtherThanStated", [](Events* e) { ConfigOf(1, e)->set_zero_point(0, 1); },
       "config 1 ('m2' / 'w_typed') came back with a zero_point other than its stated one"},
  };
}

std::vector<MalformedCase> SummaryCases() {
  using Events = std::vector<v1::BakeEvent>;
  return {
      {"SummaryParameterMissing",
       [](Events* e) {
         auto* parameters = SummaryOf(e)->mutable_parameters();
         parameters->erase(parameters->begin() + 1);
       },
       "the summary does not list parameter 'w_typed' of config 1, which was baked"},
      {"TensorNotInTheSummary", [](Events* e) { SummaryOf(e)->mutable_parameters()->RemoveLast(); },
       "the summary does not list parameter 'b_raw' of config 4, which was baked"},
      {"SummaryParameterRepeated",
       [](Events* e) { *SummaryParameter(1, e) = *SummaryParameter(0, e); },
       "the summary lists parameter 'w_raw' of config 0 twice"},
      {"SummaryParameterRepeatedAtTheEnd",
       [](Events* e) {
         auto* parameters = SummaryOf(e)->mutable_parameters();
         *parameters->Add() = parameters->Get(2);
       },
       "the summary lists parameter 'h_typed' of config 2 twice"},
      {"SummaryParameterUnknown", [](Events* e) { SummaryParameter(2, e)->set_variable("nope"); },
       "the summary lists parameter 'nope' of 'm3', which no config baked"},
      {"SummaryParameterOfAConfigNotBaked",
       [](Events* e) {
         v1::ParameterSummary* f = SummaryOf(e)->add_parameters();
         *f = *SummaryParameter(0, e);
         f->set_operation("m6");
         f->set_variable("f");
       },
       "the summary lists parameter 'f' of 'm6', which no config baked"},
      {"SummaryParameterStateBefore",
       [](Events* e) { SummaryParameter(0, e)->set_before(v1::PASSIVE); },
       "the summary gives parameter 'w_raw' of config 0 before PASSIVE, expected ACTIVATED"},
      {"SummaryParameterStateAfter",
       [](Events* e) { SummaryParameter(3, e)->set_after(v1::BAKED); },
       "the summary gives parameter 'p' of config 3 after BAKED, expected PASSIVE_BAKED"},
      {"SummaryParameterElementType",
       [](Events* e) { SummaryParameter(2, e)->set_data_type(onnx::TensorProto::FLOAT); },
       "the summary gives parameter 'h_typed' of config 2 data_type 1, expected 10"},
      {"SummaryParameterElementCount", [](Events* e) { SummaryParameter(0, e)->set_elements(31); },
       "the summary gives parameter 'w_raw' of config 0 elements 31, expected 32"},
      {"SummaryParameterBytes", [](Events* e) { SummaryParameter(1, e)->set_bytes(64); },
       "the summary gives parameter 'w_typed' of config 1 bytes 64, expected 60"},
      {"SummaryConfigsCount", [](Events* e) { SummaryOf(e)->set_configs(7); },
       "the summary's configs is 7, expected 8"},
      {"SummaryBakedCountWithoutTheConfigBakedBefore",
       [](Events* e) { SummaryOf(e)->set_baked(4); }, "the summary's baked is 4, expected 5"},
      {"SummaryPassiveBakedCount", [](Events* e) { SummaryOf(e)->set_passive_baked(0); },
       "the summary's passive_baked is 0, expected 1"},
      {"SummaryUnchangedCount", [](Events* e) { SummaryOf(e)->set_unchanged(3); },
       "the summary's unchanged is 3, expected 2"},
      {"SummaryBytes", [](Events* e) { SummaryOf(e)->set_bytes(236); },
       "the summary's bytes is 236, expected 232"},
  };
}

std::vector<MalformedCase> MalformedCases() {
  std::vector<MalformedCase> cases = ChunkCases();
  for (std::vector<MalformedCase> more : {ConfigUpdateCases(), SummaryCases()}) {
    cases.insert(cases.end(), more.begin(), more.end());
  }
  return cases;
}

class MalformedReplyTest : public RemoteModelBakerTest,
                           public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(MalformedReplyTest, IsInternalAndLeavesTheModelAsItWas) {
  std::vector<v1::BakeEvent> events =
      ReplyOf(BakeLocally(MixedConfigsModel(), MixedConfigsSpecs()), MixedConfigsSpecs(), 8);
  GetParam().spoil(&events);
  server_.baker().SetReply({events, grpc::Status::OK});
  onnx::ModelProto model = MixedConfigsModel();
  const absl::StatusOr<BakeOutcome> outcome = BakeRemotely(&model, MixedConfigsSpecs());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(outcome.status().message()), HasSubstr("malformed reply"));
  EXPECT_THAT(std::string(outcome.status().message()), HasSubstr(GetParam().culprit));
  EXPECT_TRUE(model.SerializeAsString() == MixedConfigsModel().SerializeAsString());
}

INSTANTIATE_TEST_SUITE_P(Replies, MalformedReplyTest, ::testing::ValuesIn(MalformedCases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace qbake::testing
