// Helpers for tests of `qbake` against the real qbake-server process: starting a
// server on a free loopback port, the remote flags that point qbake at it, and
// comparing the outputs of a remote bake with a local one. Header-only, like the
// CLI test helpers it builds on.
#ifndef QBAKE_TESTS_CLI_REMOTE_TEST_SUPPORT_H_
#define QBAKE_TESTS_CLI_REMOTE_TEST_SUPPORT_H_

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_test_support.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/server_process.h"
#include "tests/support/test_data.h"

namespace qbake::testing {

// Every call qbake makes in these tests gives up after this long.
inline constexpr absl::string_view kDeadlineSeconds = "60";

// qbake-server on 127.0.0.1, a free port, 2 threads, and `args`.
inline std::unique_ptr<ServerProcess> StartServer(std::vector<std::string> args = {}) {
  std::vector<std::string> all = {"--listen", "127.0.0.1:0", "--threads", "2"};
  all.insert(all.end(), args.begin(), args.end());
  auto server = std::make_unique<ServerProcess>(all);
  EXPECT_NE(server->port(), 0) << server->Stderr();
  return server;
}

// --server for `server` and --deadline, then `extra` (TLS flags).
inline std::vector<std::string> RemoteFlags(const ServerProcess& server,
                                            std::vector<std::string> extra = {}) {
  std::vector<std::string> flags = {"--server", absl::StrCat("127.0.0.1:", server.port()),
                                    "--deadline", std::string(kDeadlineSeconds)};
  flags.insert(flags.end(), extra.begin(), extra.end());
  return flags;
}

inline ProcessResult RunHealth(const ServerProcess& server, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"health"};
  for (std::string& flag : RemoteFlags(server, std::move(extra))) args.push_back(flag);
  return RunQbake(args);
}

// The report with its timings left out: what must not depend on where the bake ran.
inline std::string ReportWithoutTimings(const std::string& path) {
  nlohmann::ordered_json report = nlohmann::ordered_json::parse(ReadFileOrDie(path));
  EXPECT_TRUE(report.contains("timings")) << path;
  report.erase("timings");
  return report.dump(2);
}

// The files under `folder`, by path relative to it, sorted.
inline std::vector<std::string> FilesUnder(const std::filesystem::path& folder) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) files.push_back(entry.path().lexically_relative(folder));
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The outputs in `remote` are those in `local`, byte for byte: every file (the
// model, its config, external data files), and the report but for its timings.
inline void ExpectSameOutputs(const ScratchFolder& local, const ScratchFolder& remote) {
  const std::vector<std::string> files = FilesUnder(local.path());
  ASSERT_EQ(FilesUnder(remote.path()), files);
  for (const std::string& file : files) {
    if (file == "report.json") continue;
    EXPECT_TRUE(ReadFileOrDie(remote / file) == ReadFileOrDie(local / file)) << file;
  }
  EXPECT_EQ(ReportWithoutTimings(remote / "report.json"),
            ReportWithoutTimings(local / "report.json"));
}

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_CLI_REMOTE_TEST_SUPPORT_H_
