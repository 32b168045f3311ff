#include "server/listener_watch.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <utility>

namespace qbake {
namespace {

// The port `fd` is bound to when it is a listening TCP socket; 0 otherwise.
int ListeningPort(int fd) {
  struct stat info = {};
  if (fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) return 0;
  int listening = 0;
  socklen_t length = sizeof(listening);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || listening == 0) {
    return 0;
  }
  sockaddr_storage address = {};
  length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return 0;
}

std::vector<int> ListeningSockets(int port) {
  std::vector<int> sockets;
  DIR* descriptors = opendir("/proc/self/fd");
  if (descriptors == nullptr) return sockets;
  const int own = dirfd(descriptors);
  while (const dirent* entry = readdir(descriptors)) {
    const int fd = std::atoi(entry->d_name);
    if (entry->d_name[0] == '.' || fd == own) continue;
    if (ListeningPort(fd) == port) sockets.push_back(fd);
  }
  closedir(descriptors);
  return sockets;
}

}  // namespace

ListenerWatch::ListenerWatch(int port, std::function<void(uint32_t waiting)> on_deaf)
    : sockets_(ListeningSockets(port)), on_deaf_(std::move(on_deaf)) {
  if (!sockets_.empty()) thread_ = std::thread([this] { Run(); });
}

ListenerWatch::~ListenerWatch() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

uint32_t ListenerWatch::Waiting() const {
  uint32_t waiting = 0;
  for (const int fd : sockets_) {
    // For a listening socket Linux reports its accept queue as tcpi_unacked.
    tcp_info info = {};
    socklen_t length = sizeof(info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0) waiting += info.tcpi_unacked;
  }
  return waiting;
}

void ListenerWatch::Run() {
  int stuck = 0;
  while (!stop_.WaitForNotificationWithTimeout(kListenerCheckInterval)) {
    const uint32_t waiting = Waiting();
    stuck = waiting > 0 ? stuck + 1 : 0;
    if (stuck == kDeafChecks) {
      on_deaf_(waiting);
      return;
    }
  }
}

}  // namespace qbake
