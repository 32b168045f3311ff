// The Info RPC: what a replica runs and accepts (version, kernel path, threads, the
// admission limits, the model and message limits, the policies and roundings it
// understands), behind the auth token where Bake is; each call is logged.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/server_test_support.h"

namespace qbake::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::SizeIs;
using ::testing::StartsWith;

grpc::Status CallInfo(v1::Baker::Stub* stub, v1::ServerInfo* info, const std::string& token = "") {
  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  return stub->Info(&context, v1::InfoRequest(), info);
}

TEST(InfoTest, TellsWhatTheServerRunsAndAccepts) {
  ServerOptions options = TestOptions();
  options.max_queued = 7;
  options.queue_timeout = absl::Seconds(12);
  options.max_model_bytes = 1 << 30;
  TestServer server(options);
  v1::ServerInfo info;
  const grpc::Status status = CallInfo(server.stub(), &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(info.version(), StartsWith(QBAKE_PROJECT_VERSION));
  EXPECT_THAT((std::vector<std::string>{"portable", "avx2", "avx512"}), Contains(info.kernel()));
  EXPECT_EQ(info.threads(), 2);
  EXPECT_EQ(info.max_concurrent(), 4);
  EXPECT_EQ(info.max_queued(), 7);
  EXPECT_EQ(info.queue_timeout_seconds(), 12);
  EXPECT_EQ(info.max_model_bytes(), uint64_t{1} << 30);
  EXPECT_EQ(info.max_request_bytes(), 4u << 20);
  EXPECT_EQ(info.max_chunk_bytes(), (4u << 20) - (64u << 10));
  EXPECT_THAT(info.policy_bits(), SizeIs(8));
  EXPECT_THAT(info.policy_bits(), Contains("PER_CHANNEL"));
  EXPECT_THAT(info.policy_bits(), Contains("DYNAMIC"));
  EXPECT_THAT(info.roundings(), SizeIs(8));
  EXPECT_THAT(info.roundings(), Contains("ROUND_HALF_EVEN"));
  EXPECT_THAT(info.export_formats(),
              ElementsAre(v1::EXPORT_BAKED, v1::EXPORT_QDQ, v1::EXPORT_QDQ_FLOAT));
  EXPECT_FALSE(info.auth_required());
  const nlohmann::json line = nlohmann::json::parse(server.LogLines(1).at(0));
  EXPECT_EQ(line["method"], "Info");
  EXPECT_EQ(line["code"], "OK");
}

TEST(InfoTest, NeedsTheTokenWhereBakeDoes) {
  char path[] = "/tmp/qbake_info_token_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "s3cret", 6), 6);
  close(fd);
  ServerOptions options = TestOptions();
  options.auth_token_file = path;
  TestServer server(options);
  unlink(path);
  v1::ServerInfo info;
  const grpc::Status refused = CallInfo(server.stub(), &info);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ReasonOf(refused), "UNAUTHENTICATED");
  ASSERT_TRUE(CallInfo(server.stub(), &info, "s3cret").ok());
  EXPECT_TRUE(info.auth_required());
}

}  // namespace
}  // namespace qbake::testing
