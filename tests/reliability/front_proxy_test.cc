// The front proxy a deployment puts before its replicas (docker/haproxy.cfg, run
// unchanged by Debian's haproxy) against the floods gRPC 1.51 cannot bound itself:
// bakes through it equal local ones; an HTTP/2 rapid reset and CONTINUATION floods
// from one address, and a flood of idle connections from another, leave the real
// qbake-server behind it serving others, its memory and descriptors where they were.
#include "tests/reliability/front_proxy.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/remote_test_support.h"
#include "tests/reliability/reliability_support.h"
#include "tests/support/http2_flood.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/small_model.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

using ::testing::Each;
using ::testing::Eq;
using ::testing::IsEmpty;

constexpr char kBakeMethod[] = "/qbake.v1.Baker/Bake";
// The attackers' addresses: loopback, but not the legitimate clients' 127.0.0.1, as
// two hosts behind one proxy would be.
constexpr char kFloodAddress[] = "127.0.0.2";
constexpr char kConnectionFloodAddress[] = "127.0.0.3";

// The descriptors process `pid` has open.
int OpenDescriptors(pid_t pid) {
  DIR* folder = opendir(absl::StrCat("/proc/", pid, "/fd").c_str());
  if (folder == nullptr) return -1;
  int count = 0;
  while (readdir(folder) != nullptr) ++count;
  closedir(folder);
  return count - 2;  // "." and ".."
}

class FrontProxyTest : public ::testing::Test {
 protected:
  FrontProxyTest() : server_(StartServerMeasuringMemory()), proxy_(server_->port()) {
    WriteFileOrDie(inputs_.path() / "small.onnx", SmallModel().SerializeAsString());
    WriteFileOrDie(inputs_.path() / "config.json", SmallModelConfig());
  }

  // `qbake bake` of inputs_/`model` into `out`, here or through the proxy.
  ProcessResult Bake(const std::string& model, const ScratchFolder& out, bool through_proxy) const {
    std::vector<std::string> flags;
    if (through_proxy) flags = {"--server", proxy_.address(), "--deadline", "60"};
    return BakeInto(inputs_ / model, inputs_ / "config.json", out, flags);
  }

  // Bakes the small model through the proxy again and again while `flooding`; the
  // exit code of each.
  std::vector<int> BakeWhile(const std::atomic<bool>& flooding) const {
    std::vector<int> exit_codes;
    while (flooding || exit_codes.empty()) {
      ScratchFolder out;
      const ProcessResult run = Bake("small.onnx", out, /*through_proxy=*/true);
      EXPECT_EQ(run.exit_code, 0) << run.err;
      exit_codes.push_back(run.exit_code);
    }
    return exit_codes;
  }

  // The proxy serves the server's health and a bake, as before any flood.
  void ExpectServingThroughTheProxy() const {
    const ProcessResult health = RunQbake({"health", "--server", proxy_.address()});
    EXPECT_EQ(health.out, "SERVING\n") << health.err;
    ScratchFolder out;
    const ProcessResult run = Bake("small.onnx", out, /*through_proxy=*/true);
    EXPECT_EQ(run.exit_code, 0) << run.err;
  }

  ScratchFolder inputs_;
  std::unique_ptr<ServerProcess> server_;
  FrontProxy proxy_;
};

TEST_F(FrontProxyTest, BakesThroughTheProxyAsLocally) {
  // Small enough for one Bake, and 16 MiB of weights, which the client streams.
  WriteFileOrDie(inputs_.path() / "large.onnx",
                 ModelWithRows(int64_t{1} << 19).SerializeAsString());
  for (const std::string model : {"small.onnx", "large.onnx"}) {
    ScratchFolder local;
    ScratchFolder proxied;
    const ProcessResult here = Bake(model, local, /*through_proxy=*/false);
    const ProcessResult there = Bake(model, proxied, /*through_proxy=*/true);
    ASSERT_EQ(here.exit_code, 0) << here.err;
    ASSERT_EQ(there.exit_code, 0) << there.err << proxy_.Log();
    ExpectSameOutputs(local, proxied);
  }
  EXPECT_THAT(LoggedCodes(server_->Stderr()), Each(Eq("OK")));
}

// One connection opens streams and cancels them at once for 8 s. Straight at
// qbake-server that costs a call each, queued without bound (RSS 16 MB -> 1.8 GB in
// 10 s, docs/RELIABILITY.md); the proxy ends them itself and lets at most its
// per-address allowance of calls (1 000 in 10 s) reach the replica.
TEST_F(FrontProxyTest, ARapidResetFloodLeavesTheServerToOthers) {
  const int64_t idle_kib = ResidentKib(server_->pid());
  ResetPeakResident(server_->pid());
  absl::StatusOr<std::unique_ptr<Http2Flood>> flood =
      Http2Flood::Connect("127.0.0.1", proxy_.port(), kFloodAddress);
  ASSERT_TRUE(flood.ok()) << flood.status();
  std::atomic<bool> flooding{true};
  FloodReport report;
  std::thread attacker([&] {
    report = (*flood)->RapidReset(kBakeMethod, absl::Seconds(8));
    flooding = false;
  });
  const std::vector<int> exit_codes = BakeWhile(flooding);
  attacker.join();
  flood->reset();

  std::cout << "rapid reset through the proxy: " << report.streams_opened << " streams in "
            << absl::FormatDuration(report.elapsed) << "; " << exit_codes.size()
            << " bakes meanwhile; server peak " << PeakResidentKib(server_->pid()) << " KiB over "
            << idle_kib << " KiB idle\n";
  EXPECT_GT(report.streams_opened, 10000);
  EXPECT_THAT(exit_codes, Each(Eq(0)));
  const std::vector<std::string> codes = LoggedCodes(server_->Stderr());
  const auto flood_calls = std::count_if(codes.begin(), codes.end(),
                                         [](const std::string& code) { return code != "OK"; });
  EXPECT_LE(flood_calls, 1000);
  EXPECT_LE(PeakResidentKib(server_->pid()), idle_kib + (int64_t{32} << 10) * kShadowFactor);
  ExpectServingThroughTheProxy();
}

// A header block that never ends: many fields, or one field declared 256 MiB long.
// The proxy holds a block to one buffer and ends the connection within a few MiB
// (what the kernel had already taken); nothing of it reaches the replica.
TEST_F(FrontProxyTest, ContinuationFloodsAreCutShortBeforeTheServer) {
  constexpr int64_t kFloodBytes = int64_t{256} << 20;
  const int64_t idle_kib = ResidentKib(server_->pid());
  ResetPeakResident(server_->pid());
  for (const auto shape :
       {Http2Flood::HeaderShape::kManyFields, Http2Flood::HeaderShape::kOneHugeField}) {
    absl::StatusOr<std::unique_ptr<Http2Flood>> flood =
        Http2Flood::Connect("127.0.0.1", proxy_.port(), kFloodAddress);
    ASSERT_TRUE(flood.ok()) << flood.status();
    const FloodReport report = (*flood)->ContinuationFlood(kBakeMethod, kFloodBytes, shape);
    std::cout << "CONTINUATION flood through the proxy: " << report.bytes_sent << " bytes sent in "
              << absl::FormatDuration(report.elapsed) << ", GOAWAY " << report.peer_sent_goaway
              << "\n";
    EXPECT_TRUE(report.peer_sent_goaway || report.peer_closed);
    EXPECT_LT(report.bytes_sent, int64_t{32} << 20);
  }
  EXPECT_THAT(LoggedCodes(server_->Stderr()), IsEmpty());
  EXPECT_LE(PeakResidentKib(server_->pid()), idle_kib + (int64_t{8} << 10) * kShadowFactor);
  ExpectServingThroughTheProxy();
}

// 1 000 idle connections from one address: the proxy keeps 64 of them and closes the
// rest; the replica sees none of them, its descriptors as they were, and bakes.
TEST_F(FrontProxyTest, AConnectionFloodStopsAtTheProxy) {
  constexpr int kConnections = 1000;
  rlimit files{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
  files.rlim_cur = std::max<rlim_t>(files.rlim_cur, std::min<rlim_t>(files.rlim_max, 4096));
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &files), 0);
  const int server_descriptors = OpenDescriptors(server_->pid());

  std::vector<int> connections;
  for (int i = 0; i < kConnections; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in source{};
    source.sin_family = AF_INET;
    inet_pton(AF_INET, kConnectionFloodAddress, &source.sin_addr);
    sockaddr_in proxy{};
    proxy.sin_family = AF_INET;
    proxy.sin_port = htons(static_cast<uint16_t>(proxy_.port()));
    inet_pton(AF_INET, "127.0.0.1", &proxy.sin_addr);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source), 0);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&proxy), sizeof proxy), 0) << i;
    connections.push_back(fd);
  }
  ExpectServingThroughTheProxy();
  const int during = OpenDescriptors(server_->pid());

  // A connection the proxy closed reads end-of-file (or a reset) at once.
  absl::SleepFor(absl::Seconds(1));
  int closed_by_proxy = 0;
  for (const int fd : connections) {
    char byte = 0;
    const ssize_t got = recv(fd, &byte, 1, MSG_DONTWAIT);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) ++closed_by_proxy;
    close(fd);
  }
  std::cout << "connection flood through the proxy: " << closed_by_proxy << " of " << kConnections
            << " closed by the proxy; server descriptors " << server_descriptors << " -> " << during
            << "\n";
  EXPECT_GE(closed_by_proxy, kConnections - 64);
  EXPECT_LE(during, server_descriptors + 4);
  ExpectServingThroughTheProxy();
}

}  // namespace
}  // namespace qbake::testing
