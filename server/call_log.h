// One log line per call (server/log_line.h): "msg":"call", at level "info" when OK,
// "error" for INTERNAL, UNKNOWN and DATA_LOSS, "warning" otherwise; then the request
// id, the traceparent when given, the method, the peer, the status code (and message
// when not OK), bytes received and sent, parameters baked, the wait for a place and
// the call's duration.
#ifndef QBAKE_SERVER_CALL_LOG_H_
#define QBAKE_SERVER_CALL_LOG_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/call_identity.h"

namespace qbake {

struct CallRecord {
  CallIdentity identity;
  std::string method;  // "Bake" or "BakeStream"
  std::string peer;    // as gRPC names it, e.g. "ipv4:127.0.0.1:50312"
  absl::Status status;
  uint64_t bytes_in = 0;      // serialized request messages
  uint64_t bytes_out = 0;     // serialized events
  int64_t parameters = 0;     // parameters baked
  double queued_seconds = 0;  // waiting for a place (CallAdmission), part of `seconds`
  double seconds = 0;
};

// Where call lines go: one call of the sink per line, without the newline.
using CallLogSink = std::function<void(absl::string_view line)>;

// {"time":...,"level":...,"msg":"call","request_id":...,["traceparent":...,]
//  "method":...,"peer":...,"code":...,["message":...,]"bytes_in":...,"bytes_out":...,
//  "parameters":...,"queued_seconds":...,"seconds":...}
std::string CallLogLine(const CallRecord& record);

// A sink that writes each line to stderr whole, one line at a time.
CallLogSink StderrCallLog();

}  // namespace qbake

#endif  // QBAKE_SERVER_CALL_LOG_H_
