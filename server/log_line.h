// qbake-server's log: every line on stderr is one JSON object on one line, for log
// collectors: "time" (RFC 3339, UTC, milliseconds), "level" ("info", "warning" or
// "error"), "msg", then the line's own fields.
#ifndef QBAKE_SERVER_LOG_LINE_H_
#define QBAKE_SERVER_LOG_LINE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace qbake {

// The line (without its newline) for `msg` at `level` and `time`, with `fields` (a
// JSON object) after "msg". Text that is not UTF-8 is replaced, never refused.
std::string LogLine(absl::string_view level, absl::string_view msg,
                    const nlohmann::ordered_json& fields = nlohmann::ordered_json::object(),
                    absl::Time time = absl::Now());

// Writes LogLine(level, msg, fields) to stderr whole, at once.
void WriteLog(absl::string_view level, absl::string_view msg,
              const nlohmann::ordered_json& fields = nlohmann::ordered_json::object());

// Writes `line` and a newline to stderr in one write: lines never mix.
void WriteLogLine(absl::string_view line);

}  // namespace qbake

#endif  // QBAKE_SERVER_LOG_LINE_H_
