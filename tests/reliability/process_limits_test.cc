// The server's limits through the real qbake-server process and the real CLI:
// without a queue (--max-queued 0), calls beyond --max-concurrent are refused while
// the admitted call is still running, and a client that may not retry exits 3; a model above
// --max-model-bytes is refused before its bytes are taken in (the server logs taking in the header
// alone), and calls together hold at most --max-memory of request bytes. Each time nothing is
// written and the server goes on SERVING and baking. Calls that stop moving are ended after
// --idle-timeout, and give their places back. A listener that gRPC has stopped serving makes the
// server exit, to be restarted. Allocations that fail under an address-space limit end their call,
// not the server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "core/ppq_config_document.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "qbake/v1/bake.grpc.pb.h"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/remote_test_support.h"
#include "tests/reliability/held_call.h"
#include "tests/reliability/reliability_support.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/small_model.h"
#include "tests/support/stream_requests.h"
#include "tests/support/test_data.h"
#include "tests/support/wire_bytes.h"

namespace qbake::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ProcessLimitsTest : public ::testing::Test {
 protected:
  ProcessLimitsTest() {
    WriteFileOrDie(inputs_.path() / "small.onnx", SmallModel().SerializeAsString());
    WriteFileOrDie(inputs_.path() / "config.json", SmallModelConfig());
  }

  // `qbake bake` of `model` through `server` into a fresh folder, which must stay
  // empty when the bake fails.
  ProcessResult Bake(const std::string& model, const ServerProcess& server,
                     std::vector<std::string> flags = {}) const {
    ScratchFolder out;
    ProcessResult run = BakeInto(inputs_ / model, inputs_ / "config.json", out,
                                 RemoteFlags(server, std::move(flags)));
    if (run.exit_code != 0) {
      EXPECT_THAT(FilesUnder(out.path()), IsEmpty()) << model;
    }
    return run;
  }

  // The server is SERVING and bakes the small model.
  void ExpectServingAndBaking(const ServerProcess& server) const {
    EXPECT_EQ(RunHealth(server).out, "SERVING\n");
    const ProcessResult run = Bake("small.onnx", server);
    EXPECT_EQ(run.exit_code, 0) << run.err;
  }

  ScratchFolder inputs_;
};

TEST_F(ProcessLimitsTest, CallsBeyondMaxConcurrentAreRefusedWhileTheAdmittedOneRuns) {
  constexpr int kRefusedCalls = 5;
  const std::unique_ptr<ServerProcess> server =
      StartServer({"--max-concurrent", "1", "--max-queued", "0"});
  {
    HeldCall held(*server);
    ASSERT_TRUE(held.admitted());
    for (int call = 0; call < kRefusedCalls; ++call) {
      const ProcessResult refused = Bake("small.onnx", *server, {"--retries", "0"});
      EXPECT_EQ(refused.exit_code, 3) << refused.err;
      EXPECT_EQ(refused.ErrLines().size(), 1u) << refused.err;
      EXPECT_THAT(refused.err, HasSubstr("--max-concurrent"));
    }
  }
  // Each refused call ended on its own, and the held call only once let go.
  std::vector<std::string> codes(kRefusedCalls, "RESOURCE_EXHAUSTED");
  codes.push_back("CANCELLED");
  EXPECT_EQ(AwaitLoggedCodes(*server, codes.size()), codes);
  ExpectServingAndBaking(*server);
}

TEST_F(ProcessLimitsTest, ModelAboveMaxModelBytesIsRefusedBeforeItIsTakenIn) {
  constexpr int64_t kRows = int64_t{1} << 20;  // a 32 MiB W, sent through BakeStream
  WriteFileOrDie(inputs_.path() / "large.onnx", ModelWithRows(kRows).SerializeAsString());
  const std::unique_ptr<ServerProcess> server = StartServer({"--max-model-bytes", "1MiB"});

  const ProcessResult refused = Bake("large.onnx", *server);
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_EQ(refused.ErrLines().size(), 1u) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("--max-model-bytes"));
  EXPECT_EQ(AwaitLoggedCode(*server), "RESOURCE_EXHAUSTED");
  // The server took in the header and nothing of the 32 MiB behind it.
  const std::vector<nlohmann::json> calls = LoggedCalls(server->Stderr());
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_LT(calls[0]["bytes_in"].get<int64_t>(), 64 * 1024) << calls[0].dump();
  ExpectServingAndBaking(*server);
}

// Request bytes held by all calls at once stay under --max-memory: a call that would
// pass it is refused, naming the flag, while the one holding the memory runs; once
// that one ends, its bytes are free again.
TEST_F(ProcessLimitsTest, CallsBeyondMaxMemoryAreRefusedWhileOthersHoldIt) {
  const std::unique_ptr<ServerProcess> server = StartServer({"--max-memory", "48MiB"});
  WriteFileOrDie(inputs_.path() / "16mib.onnx",
                 ModelWithRows(int64_t{1} << 19).SerializeAsString());
  {
    // 40 MiB of model, all inline: its first result means the server has it all.
    absl::StatusOr<PpqConfigDocument> config = PpqConfigDocument::Parse(SmallModelConfig());
    ASSERT_TRUE(config.ok());
    StreamLayout inline_model;
    inline_model.model_piece = size_t{1} << 20;
    inline_model.external_min_bytes = std::numeric_limits<uint64_t>::max();
    const std::unique_ptr<v1::Baker::Stub> stub = StubFor(*server);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    auto held = stub->BakeStream(&context);
    for (const v1::BakeStreamRequest& request :
         StreamRequests(ModelWithRows(40 * 32768), config->specs(), {}, inline_model)) {
      ASSERT_TRUE(held->Write(request));
    }
    v1::BakeEvent first;
    ASSERT_TRUE(held->Read(&first));

    // A retry may succeed (the refusal carries RetryInfo): none is made here, so the
    // held call is still running when the answer comes.
    const ProcessResult refused = Bake("16mib.onnx", *server, {"--retries", "0"});
    EXPECT_EQ(refused.exit_code, 3) << refused.err;
    EXPECT_EQ(refused.ErrLines().size(), 1u) << refused.err;
    EXPECT_THAT(refused.err, HasSubstr("(--max-memory); try again later"));
    context.TryCancel();
    for (v1::BakeEvent event; held->Read(&event);) {
    }
    EXPECT_EQ(held->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  EXPECT_EQ(AwaitLoggedCodes(*server, 2),
            (std::vector<std::string>{"RESOURCE_EXHAUSTED", "CANCELLED"}));
  const ProcessResult baked = Bake("16mib.onnx", *server);
  EXPECT_EQ(baked.exit_code, 0) << baked.err;
}

// The "Max open files" soft limit of process `pid`; "" when it cannot be read.
std::string OpenFilesSoftLimit(pid_t pid) {
  std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
  for (std::string line; std::getline(limits, line);) {
    if (!absl::StartsWith(line, "Max open files")) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    return fields.size() > 3 ? fields[3] : "";
  }
  return "";
}

// gRPC's listener stops for good once it runs out of descriptors (CVE-2023-4785): the
// server starts with its soft limit raised to the hard one.
TEST_F(ProcessLimitsTest, RaisesItsOpenFileLimitToTheHardLimit) {
  struct rlimit saved = {};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_GT(saved.rlim_max, 256u);
  struct rlimit low = saved;
  low.rlim_cur = 256;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  const std::unique_ptr<ServerProcess> server = StartServer();
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  const std::string expected =
      saved.rlim_max == RLIM_INFINITY ? "unlimited" : std::to_string(saved.rlim_max);
  EXPECT_EQ(OpenFilesSoftLimit(server->pid()), expected);
  ExpectServingAndBaking(*server);
}

// gRPC 1.51's listener stops accepting for good once accept() runs out of
// descriptors (CVE-2023-4785), and the server lived on unreachable, exiting 0 when
// told to stop. Now it notices the connections left waiting and exits with status 3,
// naming the cause, so that it is restarted. The limit is lowered on the running
// server, past its start, to 64 descriptors; 128 connections take them all.
TEST_F(ProcessLimitsTest, ADeafListenerMakesTheServerExitToBeRestarted) {
  const std::unique_ptr<ServerProcess> server = StartServer();
  ExpectServingAndBaking(*server);
  const struct rlimit low = {64, 64};
  ASSERT_EQ(prlimit(server->pid(), RLIMIT_NOFILE, &low, nullptr), 0);
  std::vector<int> connections;
  for (int i = 0; i < 128; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    connections.push_back(fd);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(server->port()));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  }
  absl::SleepFor(absl::Seconds(1));
  for (const int fd : connections) close(fd);
  EXPECT_EQ(server->WaitForExit(absl::Seconds(60)), 3) << server->Stderr();
  EXPECT_THAT(server->Stderr(), HasSubstr("the listener has stopped accepting connections"));
  EXPECT_THAT(server->Stderr(), HasSubstr("CVE-2023-4785"));
}

// Under an address-space limit (RLIMIT_AS) allocations fail, and four concurrent
// 4 MB Bakes of two million empty initializers (about 480 MiB each once parsed) made
// the server die of std::bad_alloc. Now those are refused before parsing, and of four
// concurrent 96 MiB bakes with room for one, those that find no memory end with
// RESOURCE_EXHAUSTED naming the tensor: every call gets an answer, the server goes on
// and, its memory given back, bakes 96 MiB again. The limit is set on the running
// server, kHeadroom above what it has mapped then. Not run under the sanitizers
// (label "address-space", tests/reliability/CMakeLists.txt): their runtimes end the
// process when a mapping of their own is refused.
TEST_F(ProcessLimitsTest, AnAddressSpaceLimitEndsCallsNotTheServer) {
  constexpr int64_t kHeadroom = int64_t{160} << 20;
  constexpr int kCalls = 4;
  const std::unique_ptr<ServerProcess> server =
      StartServer({"--max-memory", "64GiB", "--max-concurrent", "16"});
  ExpectServingAndBaking(*server);
  WriteFileOrDie(inputs_.path() / "empty.onnx", EmptyInitializers(2000000));
  WriteFileOrDie(inputs_.path() / "large.onnx",
                 ModelWithRows(int64_t{3} << 20).SerializeAsString());  // a 96 MiB W
  const auto limit = static_cast<rlim_t>(ProcStatusKib(server->pid(), "VmSize") * 1024 + kHeadroom);
  const struct rlimit address_space = {limit, limit};
  ASSERT_EQ(prlimit(server->pid(), RLIMIT_AS, &address_space, nullptr), 0);

  std::vector<ProcessResult> empty(kCalls);
  std::vector<ProcessResult> large(kCalls);
  std::vector<std::thread> clients;
  for (int i = 0; i < kCalls; ++i) {
    clients.emplace_back([&, i] { empty[i] = Bake("empty.onnx", *server); });
    clients.emplace_back([&, i] { large[i] = Bake("large.onnx", *server); });
  }
  for (std::thread& client : clients) client.join();
  for (const ProcessResult& run : empty) {
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_THAT(run.err, HasSubstr("would take about 503 MiB parsed"));
  }
  int out_of_memory = 0;
  for (const ProcessResult& run : large) {
    if (run.exit_code == 0) continue;
    ++out_of_memory;
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_EQ(run.ErrLines().size(), 1u) << run.err;
    EXPECT_THAT(run.err, HasSubstr("tensor 'W': no memory for its 100663296 bytes"));
  }
  EXPECT_GT(out_of_memory, 0);
  EXPECT_EQ(AwaitLoggedCodes(*server, 1 + 2 * kCalls).size(), 1 + 2 * kCalls) << server->Stderr();
  ExpectServingAndBaking(*server);
  const ProcessResult again = Bake("large.onnx", *server);
  EXPECT_EQ(again.exit_code, 0) << again.err;
}

// Streams that send nothing would hold every place of --max-concurrent for as long
// as their clients like (slowloris): each is ended once idle for --idle-timeout, with
// a status that names the flag, and the places come back.
TEST_F(ProcessLimitsTest, SilentCallsAreEndedAfterTheIdleTimeout) {
  const std::unique_ptr<ServerProcess> server =
      StartServer({"--max-concurrent", "2", "--idle-timeout", "1"});
  const std::unique_ptr<v1::Baker::Stub> stub = StubFor(*server);
  grpc::ClientContext contexts[2];
  std::unique_ptr<grpc::ClientReaderWriter<v1::BakeStreamRequest, v1::BakeEvent>> streams[2];
  for (int i = 0; i < 2; ++i) {
    contexts[i].set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    streams[i] = stub->BakeStream(&contexts[i]);
  }
  for (auto& stream : streams) {
    v1::BakeEvent event;
    EXPECT_FALSE(stream->Read(&event));
    const grpc::Status status = stream->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    EXPECT_THAT(status.error_message(), HasSubstr("--idle-timeout"));
  }
  EXPECT_EQ(AwaitLoggedCodes(*server, 2),
            (std::vector<std::string>{"DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED"}));
  ExpectServingAndBaking(*server);
}

// A client that sends its model and then never reads the results holds the server's
// writes; it is ended too (its writes cancelled), and its place comes back.
TEST_F(ProcessLimitsTest, ACallWhoseClientStopsReadingIsEnded) {
  const std::unique_ptr<ServerProcess> server =
      StartServer({"--max-concurrent", "1", "--idle-timeout", "1"});
  const std::vector<v1::BakeStreamRequest> requests =
      WeightStream(int64_t{1} << 20, size_t{1} << 20);
  const std::unique_ptr<v1::Baker::Stub> stub = StubFor(*server);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  auto stream = stub->BakeStream(&context);
  for (const v1::BakeStreamRequest& request : requests) ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  // Not reading: the server's results pile up against flow control, then stop.
  const std::vector<std::string> codes = AwaitLoggedCodes(*server, 1);
  ASSERT_EQ(codes, std::vector<std::string>{"DEADLINE_EXCEEDED"}) << server->Stderr();
  EXPECT_THAT(LoggedCalls(server->Stderr())[0]["message"].get<std::string>(),
              HasSubstr("--idle-timeout"));
  ExpectServingAndBaking(*server);
  context.TryCancel();
  for (v1::BakeEvent event; stream->Read(&event);) {
  }
  EXPECT_FALSE(stream->Finish().ok());
}

}  // namespace
}  // namespace qbake::testing
