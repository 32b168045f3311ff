// Every PPQ end-to-end case baked through the service, by Bake and by BakeStream
// (large tensors as external data): the events rebuild PPQ's baked parameters bit
// for bit and PPQ's states.
#include "gtest/gtest.h"
#include "tests/server/e2e_cases.h"
#include "tests/server/server_test_support.h"
#include "tests/support/stream_requests.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

class ServiceE2eTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { server_ = new TestServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static TestServer* server_;
};

TestServer* ServiceE2eTest::server_ = nullptr;

TEST_P(ServiceE2eTest, BakeRebuildsPpqsParametersAndStates) {
  const E2eCase e2e = LoadE2eCase(GetParam());
  const CallResult result = CallBake(server_->stub(), BakeRequestFor(e2e.model_bytes, e2e.specs));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ExpectMatchesPpq(e2e, result.events);
}

TEST_P(ServiceE2eTest, BakeStreamWithExternalDataRebuildsPpqsParametersAndStates) {
  const E2eCase e2e = LoadE2eCase(GetParam());
  const std::vector<v1::BakeStreamRequest> requests = StreamRequests(e2e.model, e2e.specs);
  int external = 0;
  for (const auto& request : requests) external += request.has_external_data() ? 1 : 0;
  ASSERT_GT(external, 1);
  const CallResult result = CallBakeStream(server_->stub(), requests);
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ExpectMatchesPpq(e2e, result.events);
}

TEST_P(ServiceE2eTest, BakeStreamWithTheModelInlineRebuildsPpqsParameters) {
  const E2eCase e2e = LoadE2eCase(GetParam());
  StreamLayout inline_model;
  inline_model.external_min_bytes = UINT64_MAX;
  const CallResult result =
      CallBakeStream(server_->stub(), StreamRequests(e2e.model, e2e.specs, {}, inline_model));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ExpectMatchesPpq(e2e, result.events);
}

INSTANTIATE_TEST_SUITE_P(SharedCases, ServiceE2eTest, ::testing::ValuesIn(E2eCaseNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace qbake::testing
