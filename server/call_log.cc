#include "server/call_log.h"

#include <cstdio>

#include "nlohmann/json.hpp"

namespace qbake {

std::string CallLogLine(const CallRecord& record) {
  nlohmann::ordered_json line;
  line["method"] = record.method;
  line["peer"] = record.peer;
  line["code"] = absl::StatusCodeToString(record.status.code());
  if (!record.status.ok()) line["message"] = std::string(record.status.message());
  line["bytes_in"] = record.bytes_in;
  line["bytes_out"] = record.bytes_out;
  line["parameters"] = record.parameters;
  line["queued_seconds"] = record.queued_seconds;
  line["seconds"] = record.seconds;
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

CallLogSink StderrCallLog() {
  return [](absl::string_view line) {
    // One fprintf holds the stream's lock: lines of concurrent calls never mix.
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
    std::fflush(stderr);
  };
}

}  // namespace qbake
