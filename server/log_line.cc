#include "server/log_line.h"

#include <cstdio>

#include "absl/time/clock.h"

namespace qbake {

std::string LogLine(absl::string_view level, absl::string_view msg,
                    const nlohmann::ordered_json& fields, absl::Time time) {
  nlohmann::ordered_json line;
  line["time"] = absl::FormatTime("%Y-%m-%d%ET%H:%M:%E3SZ", time, absl::UTCTimeZone());
  line["level"] = std::string(level);
  line["msg"] = std::string(msg);
  for (const auto& [key, value] : fields.items()) line[key] = value;
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void WriteLog(absl::string_view level, absl::string_view msg,
              const nlohmann::ordered_json& fields) {
  WriteLogLine(LogLine(level, msg, fields));
}

void WriteLogLine(absl::string_view line) {
  // One fprintf holds the stream's lock: lines of concurrent calls never mix.
  std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(stderr);
}

}  // namespace qbake
