// Helpers for the tests that run the built qbake (QBAKE_CLI_PATH) as a process: its
// command line, starting it with its output captured, awaiting it with a timeout,
// and `qbake bake` into a scratch folder; and reading the models it writes.
// Header-only: QBAKE_CLI_PATH is defined by the test binaries that run qbake
// (cli_tests, reliability_tests).
#ifndef QBAKE_TESTS_CLI_CLI_TEST_SUPPORT_H_
#define QBAKE_TESTS_CLI_CLI_TEST_SUPPORT_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "onnx/onnx_pb.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_data.h"

namespace qbake::testing {

// The command line of qbake with `args`.
inline std::vector<std::string> QbakeCommand(std::vector<std::string> args) {
  args.insert(args.begin(), QBAKE_CLI_PATH);
  return args;
}

// Starts qbake with `args` and `options`, its standard output and error captured.
inline std::unique_ptr<Subprocess> StartQbake(std::vector<std::string> args,
                                              SubprocessOptions options = {}) {
  options.stdout_to = Output::kCapture;
  options.stderr_to = Output::kCapture;
  return std::make_unique<Subprocess>(QbakeCommand(std::move(args)), options);
}

// Waits for the qbake StartQbake started (killing it after `timeout`, which fails
// the test) and collects what it printed.
inline ProcessResult FinishQbake(Subprocess* qbake,
                                 std::chrono::seconds timeout = std::chrono::seconds(120)) {
  ProcessResult result = FinishProcess(qbake, absl::FromChrono(timeout));
  EXPECT_FALSE(result.timed_out) << "qbake ran longer than " << timeout.count()
                                 << " s and was killed";
  return result;
}

// Runs the built qbake with `args` and `options`, capturing stdout and stderr. A run
// that takes longer than `timeout` is killed and fails the test.
inline ProcessResult RunQbake(std::vector<std::string> args,
                              std::chrono::seconds timeout = std::chrono::seconds(120),
                              SubprocessOptions options = {}) {
  return FinishQbake(StartQbake(std::move(args), std::move(options)).get(), timeout);
}

// `qbake bake MODEL --config CONFIG` into folder/out.onnx, out.json and report.json,
// with `extra` flags.
inline ProcessResult BakeInto(const std::string& model, const std::string& config,
                              const ScratchFolder& folder, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"bake",     model,
                                   "--config", config,
                                   "--output", folder / "out.onnx",
                                   "--report", folder / "report.json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunQbake(args);
}

inline onnx::ModelProto ParseModelOrDie(const std::filesystem::path& path) {
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(ReadFileOrDie(path.string()))) << path;
  return model;
}

// Float32 little-endian bytes of `values`.
inline std::string FloatBytes(const std::vector<float>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_CLI_CLI_TEST_SUPPORT_H_
