// The front proxy of a deployment (docker/haproxy.cfg, unchanged) run in front of a
// qbake-server for a test: Debian's haproxy on a free loopback port, its replica the
// server's port. Header-only, like the other reliability helpers.
#ifndef QBAKE_TESTS_RELIABILITY_FRONT_PROXY_H_
#define QBAKE_TESTS_RELIABILITY_FRONT_PROXY_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/loopback_port.h"
#include "tests/support/server_process.h"

namespace qbake::testing {

// True once something accepts TCP connections on 127.0.0.1:`port`.
inline bool AcceptsConnections(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool accepted = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return accepted;
}

class FrontProxy {
 public:
  // Starts the proxy for the replica on 127.0.0.1:`backend_port` and waits up to
  // 10 s for it to listen.
  explicit FrontProxy(int backend_port) : port_(ClosedLoopbackPort()) {
    process_ = std::make_unique<ServerProcess>(
        QBAKE_HAPROXY_PATH, std::vector<std::string>{"-db", "-f", QBAKE_HAPROXY_CONFIG},
        std::vector<std::string>{absl::StrCat("QBAKE_PROXY_LISTEN=", address()),
                                 absl::StrCat("QBAKE_BACKEND=127.0.0.1:", backend_port)});
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!AcceptsConnections(port_) && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    EXPECT_TRUE(AcceptsConnections(port_)) << process_->Stderr();
  }

  int port() const { return port_; }
  // HOST:PORT for --server.
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  // What haproxy logged (alerts and warnings).
  std::string Log() const { return process_->Stderr(); }

 private:
  int port_;
  std::unique_ptr<ServerProcess> process_;
};

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_RELIABILITY_FRONT_PROXY_H_
