#include "server/call_log.h"

#include "server/log_line.h"

namespace qbake {
namespace {

absl::string_view LevelOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return "info";
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      return "error";
    default:
      return "warning";
  }
}

}  // namespace

std::string CallLogLine(const CallRecord& record) {
  nlohmann::ordered_json fields;
  fields["request_id"] = record.identity.request_id;
  if (!record.identity.traceparent.empty()) fields["traceparent"] = record.identity.traceparent;
  fields["method"] = record.method;
  fields["peer"] = record.peer;
  fields["code"] = absl::StatusCodeToString(record.status.code());
  if (!record.status.ok()) fields["message"] = std::string(record.status.message());
  fields["bytes_in"] = record.bytes_in;
  fields["bytes_out"] = record.bytes_out;
  fields["parameters"] = record.parameters;
  fields["queued_seconds"] = record.queued_seconds;
  fields["seconds"] = record.seconds;
  return LogLine(LevelOf(record.status), "call", fields);
}

CallLogSink StderrCallLog() { return WriteLogLine; }

}  // namespace qbake
