// Calls beyond --max-concurrent are refused at once with RESOURCE_EXHAUSTED, as are
// models above --max-model-bytes (external data included), without reading them; an
// admitted call gets its response headers at once.
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/e2e_cases.h"
#include "tests/server/server_test_support.h"
#include "tests/server/stream_requests.h"
#include "tests/server/synthetic_models.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;

v1::BakeRequest SmallRequest() {
  return BakeRequestFor(WeightModel({4}, Ramp(4)).SerializeAsString(), {WeightSpec()});
}

TEST(LimitsTest, CallsBeyondMaxConcurrentAreRefusedAtOnce) {
  ServerOptions options = TestOptions();
  options.max_concurrent = 2;
  TestServer server(options);
  OpenStream first(server.stub());
  OpenStream second(server.stub());
  ASSERT_TRUE(server.WaitForActiveCalls(2));

  const absl::Time start = absl::Now();
  const CallResult refused = CallBake(server.stub(), SmallRequest());
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.status.error_message(), HasSubstr("--max-concurrent"));
  const CallResult refused_stream = CallBakeStream(server.stub(), {});
  EXPECT_EQ(refused_stream.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  first.Cancel();
  first.Finish();
  ASSERT_TRUE(server.WaitForActiveCalls(1));
  EXPECT_TRUE(CallBake(server.stub(), SmallRequest()).status.ok());
  second.Cancel();
  second.Finish();
}

TEST(LimitsTest, AnAdmittedCallHasItsHeadersBeforeAnyEvent) {
  TestServer server;
  OpenStream held(server.stub());
  held.AwaitHeaders();
  // Headers sent only with a status would have come with the call's end.
  EXPECT_EQ(server.server().active_calls(), 1);
  EXPECT_TRUE(held.Write(HeaderRequest({}, {}, 1000)));
  held.Cancel();
  EXPECT_EQ(held.Finish().status.error_code(), grpc::StatusCode::CANCELLED);
}

class ModelBytesLimitTest : public ::testing::Test {
 protected:
  ModelBytesLimitTest() : server_(LimitedOptions()) {}

  static ServerOptions LimitedOptions() {
    ServerOptions options = TestOptions();
    options.max_model_bytes = 4000;
    return options;
  }

  void ExpectRefused(const CallResult& result) {
    EXPECT_EQ(result.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(result.status.error_message(),
                HasSubstr("with its external data, above the server's limit of 4000"));
    EXPECT_TRUE(result.events.empty());
  }

  TestServer server_;
};

TEST_F(ModelBytesLimitTest, BakeOfALargerModelIsRefused) {
  ExpectRefused(CallBake(
      server_.stub(),
      BakeRequestFor(WeightModel({1000}, Ramp(1000)).SerializeAsString(), {WeightSpec()})));
  EXPECT_TRUE(CallBake(server_.stub(), SmallRequest()).status.ok());
}

TEST_F(ModelBytesLimitTest, BakeStreamHeaderAboveTheLimitIsRefusedBeforeTheModel) {
  ExpectRefused(
      CallBakeStream(server_.stub(), {HeaderRequest({WeightSpec()}, {}, uint64_t{1} << 40)}));
}

TEST_F(ModelBytesLimitTest, BakeStreamExternalDataCountsTowardsTheLimit) {
  const onnx::ModelProto model = WeightModel({1000}, Ramp(1000));
  ExpectRefused(CallBakeStream(server_.stub(), StreamRequests(model, {WeightSpec()})));
}

}  // namespace
}  // namespace qbake::testing
