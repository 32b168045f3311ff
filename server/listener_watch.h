// Notices when nobody accepts the connections waiting on qbake-server's listening
// sockets. gRPC 1.51 stops accepting for good once accept() fails for want of a
// descriptor (CVE-2023-4785): the process lives on, its calls in flight finish and
// health checks on connections already open pass, yet no new client ever gets in.
// The watch finds the process's listening sockets on the server's port and reads
// each one's accept queue (TCP_INFO) every kListenerCheckInterval; connections still
// waiting there at kDeafChecks checks in a row mean the listener is deaf, and
// `on_deaf` is called once, with the number waiting. A live listener takes a
// connection within microseconds, so its queue is empty at nearly every check.
#ifndef QBAKE_SERVER_LISTENER_WATCH_H_
#define QBAKE_SERVER_LISTENER_WATCH_H_

#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace qbake {

inline constexpr absl::Duration kListenerCheckInterval = absl::Seconds(1);
inline constexpr int kDeafChecks = 10;

class ListenerWatch {
 public:
  // Watches this process's listening TCP sockets bound to `port` (none found: the
  // watch does nothing). Call once the server listens.
  ListenerWatch(int port, std::function<void(uint32_t waiting)> on_deaf);
  // Stops watching; call before the server closes its sockets.
  ~ListenerWatch();

  ListenerWatch(const ListenerWatch&) = delete;
  ListenerWatch& operator=(const ListenerWatch&) = delete;

 private:
  void Run();
  // Connections waiting to be accepted on the watched sockets.
  uint32_t Waiting() const;

  const std::vector<int> sockets_;  // the listening sockets found (this process's descriptors)
  const std::function<void(uint32_t)> on_deaf_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace qbake

#endif  // QBAKE_SERVER_LISTENER_WATCH_H_
