// The HTTP/2 floods a hostile client sends at a gRPC server, written frame by frame
// over plaintext TCP (HTTP/2 with prior knowledge, as gRPC clients speak it), so a
// test can aim them at qbake-server or at the front proxy before it:
//   - rapid reset (CVE-2023-44487): a stream opened with a Bake call's headers and
//     cancelled at once (RST_STREAM), again and again on one connection;
//   - CONTINUATION flood (the class of CVE-2024-27316): one HEADERS frame that never
//     ends, followed by CONTINUATION frames of header fields.
// A reader thread acknowledges the peer's SETTINGS and PINGs and notes its GOAWAY
// or its closing of the connection; no frame the peer sends is otherwise used.
#ifndef QBAKE_TESTS_SUPPORT_HTTP2_FLOOD_H_
#define QBAKE_TESTS_SUPPORT_HTTP2_FLOOD_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/mutex.h"

namespace qbake::testing {

// What a flood did before it ended.
struct FloodReport {
  int64_t streams_opened = 0;  // HEADERS frames sent (rapid reset)
  int64_t bytes_sent = 0;      // every byte written, the preface included
  bool peer_sent_goaway = false;
  bool peer_closed = false;  // the peer closed or reset the connection
  absl::Duration elapsed;
};

class Http2Flood {
 public:
  // Connects to `host`:`port` from `source_address` (a loopback address such as
  // "127.0.0.2", so a proxy can tell the attacker from other clients) and sends the
  // client preface and an empty SETTINGS frame.
  static absl::StatusOr<std::unique_ptr<Http2Flood>> Connect(const std::string& host, int port,
                                                             const std::string& source_address);
  ~Http2Flood();

  Http2Flood(const Http2Flood&) = delete;
  Http2Flood& operator=(const Http2Flood&) = delete;

  // Opens and resets streams calling `method` ("/qbake.v1.Baker/Bake") for
  // `duration`, or until the peer ends the connection.
  FloodReport RapidReset(absl::string_view method, absl::Duration duration);

  // What the CONTINUATION frames carry: many header fields of 128 bytes, or the
  // value of one field declared `total_bytes` long (the parser must hold it whole).
  enum class HeaderShape { kManyFields, kOneHugeField };

  // Sends one HEADERS frame for `method` without END_HEADERS, then CONTINUATION
  // frames of 16 KiB, none ending the block, until `total_bytes` are sent or the peer
  // ends the connection.
  FloodReport ContinuationFlood(absl::string_view method, int64_t total_bytes, HeaderShape shape);

 private:
  explicit Http2Flood(int fd);
  // Writes `bytes` whole; false once the connection is broken (the peer closed it)
  // or the peer has read nothing for 10 s.
  bool Send(absl::string_view bytes);
  void ReadUntilClosed();
  FloodReport Report(absl::Time started) const;

  const int fd_;
  Mutex write_mu_;  // one frame at a time from the flood and the reader
  std::atomic<int64_t> bytes_sent_{0};
  std::atomic<bool> goaway_{false};
  std::atomic<bool> closed_{false};
  std::thread reader_;
};

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_HTTP2_FLOOD_H_
