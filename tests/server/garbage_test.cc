// Damaged models and configs never bring the server down: every call ends OK or
// INVALID_ARGUMENT, and the server still reports SERVING afterwards.
#include <random>

#include "gtest/gtest.h"
#include "tests/server/e2e_cases.h"
#include "tests/server/server_test_support.h"
#include "tests/support/stream_requests.h"

namespace qbake::testing {
namespace {

constexpr int kRounds = 300;

void ExpectOkOrInvalid(const grpc::Status& status, int round) {
  EXPECT_TRUE(status.ok() || status.error_code() == grpc::StatusCode::INVALID_ARGUMENT)
      << "round " << round << ": " << status.error_code() << " " << status.error_message();
}

TEST(GarbageTest, DamagedModelBytesNeverHurtTheServer) {
  TestServer server;
  const E2eCase e2e = LoadE2eCase("synth_ncnn_int8");
  std::mt19937 random(20261127);
  for (int round = 0; round < kRounds; ++round) {
    std::string model = e2e.model_bytes;
    const int flips = 1 + static_cast<int>(random() % 16);
    for (int i = 0; i < flips; ++i) model[random() % model.size()] = static_cast<char>(random());
    if (round % 3 == 0) model.resize(random() % model.size());
    ExpectOkOrInvalid(CallBake(server.stub(), BakeRequestFor(model, e2e.specs)).status, round);
  }
  EXPECT_EQ(CheckHealth(server.channel()), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(GarbageTest, DamagedConfigsNeverHurtTheServer) {
  TestServer server;
  const E2eCase e2e = LoadE2eCase("synth_trt_int8");
  std::mt19937 random(7);
  for (int round = 0; round < kRounds; ++round) {
    v1::BakeRequest request = BakeRequestFor(e2e.model_bytes, e2e.specs);
    v1::TensorQuantConfig* config =
        request.mutable_configs(static_cast<int>(random() % request.configs_size()));
    std::string bytes = config->SerializeAsString();
    bytes[random() % bytes.size()] = static_cast<char>(random());
    if (!config->ParseFromString(bytes)) continue;
    ExpectOkOrInvalid(CallBake(server.stub(), request).status, round);
  }
  EXPECT_EQ(CheckHealth(server.channel()), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(GarbageTest, DamagedStreamsNeverHurtTheServer) {
  TestServer server;
  const E2eCase e2e = LoadE2eCase("synth_graphcore_fp8");
  const std::vector<v1::BakeStreamRequest> requests = StreamRequests(e2e.model, e2e.specs);
  std::mt19937 random(11);
  for (int round = 0; round < kRounds / 3; ++round) {
    std::vector<v1::BakeStreamRequest> damaged = requests;
    v1::BakeStreamRequest& request = damaged[random() % damaged.size()];
    std::string bytes = request.SerializeAsString();
    bytes[random() % bytes.size()] = static_cast<char>(random());
    if (!request.ParseFromString(bytes)) continue;
    ExpectOkOrInvalid(CallBakeStream(server.stub(), damaged).status, round);
  }
  EXPECT_EQ(CheckHealth(server.channel()), grpc::health::v1::HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace qbake::testing
