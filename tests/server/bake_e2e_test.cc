// Every PPQ end-to-end case baked through the service, by Bake and by BakeStream
// (large tensors as external data): the events rebuild PPQ's baked parameters bit
// for bit and PPQ's states, the configs sent typed or as PPQ's own document.
#include <algorithm>

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

// The configs as PPQ's document (ppq_config_json), by Bake and by BakeStream: the
// bake is PPQ's, and the stream carries the document with the new states, byte for
// byte what `qbake bake --config-out` writes (the document rendered with a local
// bake's outcome).
TEST_P(ServiceE2eTest, PpqsDocumentBakesAsItsConfigsAndComesBackUpdated) {
  const E2eCase e2e = LoadE2eCase(GetParam());
  const std::string document =
      ReadFileOrDie(TestDataPath("ppq_e2e/" + GetParam() + "/ppq_config.json"));
  const std::string expected = RenderedAfterLocalBake(e2e, document);
  v1::BakeRequest request = BakeRequestFor(e2e.model_bytes, {});
  request.set_ppq_config_json(document);
  v1::BakeOptions small_chunks;  // the document comes in several chunks
  small_chunks.set_chunk_bytes(4096);
  std::vector<v1::BakeStreamRequest> stream = StreamRequests(e2e.model, {}, small_chunks);
  stream.front().mutable_header()->set_ppq_config_json(document);
  for (const CallResult& result :
       {CallBake(server_->stub(), request), CallBakeStream(server_->stub(), stream)}) {
    ASSERT_TRUE(result.status.ok()) << result.status.error_message();
    ExpectMatchesPpq(e2e, result.events);
    EXPECT_TRUE(RebuiltConfigDocument(result.events) == expected);
    // After every TensorChunk, before every ConfigUpdate.
    const auto first_chunk = std::find_if(result.events.begin(), result.events.end(),
                                          [](const auto& e) { return e.has_config_document(); });
    ASSERT_NE(first_chunk, result.events.end());
    EXPECT_TRUE(std::none_of(first_chunk, result.events.end(),
                             [](const auto& e) { return e.has_tensor(); }));
    EXPECT_TRUE(std::none_of(result.events.begin(), first_chunk,
                             [](const auto& e) { return e.has_config(); }));
  }
}

INSTANTIATE_TEST_SUITE_P(SharedCases, ServiceE2eTest, ::testing::ValuesIn(E2eCaseNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace qbake::testing
