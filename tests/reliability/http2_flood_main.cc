// Aims one of tests/support/http2_flood.h's floods at HOST:PORT, a qbake-server or
// its front proxy, and prints what it did; docs/RELIABILITY.md's figures for floods
// straight at the server come from it (watch the server's RSS meanwhile).
//   http2_flood rapid-reset HOST:PORT SECONDS
//   http2_flood many-fields HOST:PORT MIB
//   http2_flood one-huge-field HOST:PORT MIB
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "tests/support/http2_flood.h"

int main(int argc, char** argv) {
  using qbake::testing::FloodReport;
  using qbake::testing::Http2Flood;
  int64_t amount = 0;
  const std::string target = argc == 4 ? argv[2] : "";
  int port = 0;
  const size_t colon = target.rfind(':');
  if (argc != 4 || colon == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(target).substr(colon + 1), &port) ||
      !absl::SimpleAtoi(argv[3], &amount)) {
    std::cerr << "usage: http2_flood rapid-reset|many-fields|one-huge-field HOST:PORT "
                 "SECONDS|MIB\n";
    return 2;
  }
  const std::string mode = argv[1];
  auto flood = Http2Flood::Connect(target.substr(0, colon), port, "127.0.0.2");
  if (!flood.ok()) {
    std::cerr << "http2_flood: " << flood.status() << "\n";
    return 1;
  }
  constexpr char kMethod[] = "/qbake.v1.Baker/Bake";
  FloodReport report;
  if (mode == "rapid-reset") {
    report = (*flood)->RapidReset(kMethod, absl::Seconds(amount));
  } else if (mode == "many-fields" || mode == "one-huge-field") {
    report =
        (*flood)->ContinuationFlood(kMethod, amount << 20,
                                    mode == "many-fields" ? Http2Flood::HeaderShape::kManyFields
                                                          : Http2Flood::HeaderShape::kOneHugeField);
  } else {
    std::cerr << "http2_flood: unknown flood " << mode << "\n";
    return 2;
  }
  std::cout << "streams " << report.streams_opened << ", bytes " << report.bytes_sent << ", GOAWAY "
            << report.peer_sent_goaway << ", closed by peer " << report.peer_closed << ", "
            << absl::FormatDuration(report.elapsed) << "\n";
  return 0;
}
