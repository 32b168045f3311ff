// The calls a qbake-server process logged (server/call_log.h: one JSON line per
// ended call, written just after its client has the status), read from its stderr.
// Header-only.
#ifndef QBAKE_TESTS_SUPPORT_LOGGED_CALLS_H_
#define QBAKE_TESTS_SUPPORT_LOGGED_CALLS_H_

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "tests/support/server_process.h"

namespace qbake::testing {

// Every call line (a JSON object with a "code") in a server's stderr, in order.
inline std::vector<nlohmann::json> LoggedCalls(const std::string& server_stderr) {
  std::vector<nlohmann::json> calls;
  for (absl::string_view line : absl::StrSplit(server_stderr, '\n')) {
    nlohmann::json call = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (call.is_object() && call.contains("code")) calls.push_back(std::move(call));
  }
  return calls;
}

// The "code" of every call line in a server's stderr, in order.
inline std::vector<std::string> LoggedCodes(const std::string& server_stderr) {
  std::vector<std::string> codes;
  for (const nlohmann::json& call : LoggedCalls(server_stderr)) codes.push_back(call["code"]);
  return codes;
}

// Waits up to `timeout` for `server` to have logged `count` calls (it may log just
// after the client has its status); the codes it logged, fewer when they did not come.
inline std::vector<std::string> AwaitLoggedCodes(
    const ServerProcess& server, size_t count,
    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::string> codes = LoggedCodes(server.Stderr());
  while (codes.size() < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    codes = LoggedCodes(server.Stderr());
  }
  return codes;
}

// The code of the last call `server` logged, waiting for a first one; "" when none came.
inline std::string AwaitLoggedCode(const ServerProcess& server) {
  const std::vector<std::string> codes = AwaitLoggedCodes(server, 1);
  return codes.empty() ? "" : codes.back();
}

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_LOGGED_CALLS_H_
