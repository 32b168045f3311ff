// Helpers for the reliability tests: a model like SmallModel (so SmallModelConfig
// bakes it) with a weight of any size, a process's resident memory and latency
// percentiles. Header-only, like the CLI test helpers it builds on.
#ifndef QBAKE_TESTS_RELIABILITY_RELIABILITY_SUPPORT_H_
#define QBAKE_TESTS_RELIABILITY_RELIABILITY_SUPPORT_H_

#include <stdlib.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/remote_test_support.h"
#include "tests/support/logged_calls.h"
#include "tests/support/model_builder.h"
#include "tests/support/model_parameters.h"
#include "tests/support/server_process.h"
#include "tests/support/small_model.h"

namespace qbake::testing {

// Sanitizers keep shadow memory beside each byte a program touches, so a memory
// allowance in a sanitizer build (.ci/sanitizers) scales by this, and what it must
// catch (held-back results, leaks) scales alike: ThreadSanitizer about four bytes per
// byte, AddressSanitizer one per eight (a 64 MiB bake peaked 3 MB above the unscaled
// allowance under ASan).
// Address space the server only reserves costs nothing resident, but under
// AddressSanitizer its allocator writes the shadow of every fresh block: one byte
// per eight reserved (a reserved GiB measured +128 MiB there).
#if defined(ABSL_HAVE_THREAD_SANITIZER)
inline constexpr double kShadowFactor = 5;
inline constexpr double kReservedShadow = 0;
#elif defined(ABSL_HAVE_ADDRESS_SANITIZER)
inline constexpr double kShadowFactor = 9.0 / 8;
inline constexpr double kReservedShadow = 1.0 / 8;
#else
inline constexpr double kShadowFactor = 1;
inline constexpr double kReservedShadow = 0;
#endif

// StartServer for a test that measures the server's resident memory. Under
// AddressSanitizer the server's quarantine is made empty: freed blocks would
// otherwise stay resident up to 256 MiB (measured: a 64 MiB bake peaked at 421 MB,
// 460 MB the next time), so RSS would say how much was freed, not what is held.
// LeakSanitizer's check at exit and the rest of ASan stay on.
inline std::unique_ptr<ServerProcess> StartServerMeasuringMemory(
    std::vector<std::string> args = {}) {
#ifdef ABSL_HAVE_ADDRESS_SANITIZER
  const char* options = std::getenv("ASAN_OPTIONS");
  const std::string saved = options == nullptr ? "" : options;
  setenv("ASAN_OPTIONS",
         (saved + ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0").c_str(),
         /*overwrite=*/1);
  std::unique_ptr<ServerProcess> server = StartServer(std::move(args));
  if (options == nullptr) {
    unsetenv("ASAN_OPTIONS");
  } else {
    setenv("ASAN_OPTIONS", saved.c_str(), /*overwrite=*/1);
  }
  return server;
#else
  return StartServer(std::move(args));
#endif
}

// SmallModel with W of `rows` x 8 floats (a ramp through both signs).
inline onnx::ModelProto ModelWithRows(int64_t rows) {
  onnx::ModelProto model = SmallModel();
  for (auto& [name, tensor] : Parameters(&model)) {
    if (name != "W") continue;
    std::vector<float> w(static_cast<size_t>(rows) * 8);
    for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 1000) * 0.013f - 6.5f;
    *tensor = MakeTensor("W", {rows, 8}, w);
  }
  return model;
}

// The field `name` ("VmRSS", "VmHWM") of /proc/PID/status in KiB; 0 when it cannot
// be read.
inline int64_t ProcStatusKib(pid_t pid, absl::string_view name) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (!absl::StartsWith(line, absl::StrCat(name, ":"))) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    int64_t kib = 0;
    if (fields.size() >= 2 && absl::SimpleAtoi(fields[1], &kib)) return kib;
  }
  return 0;
}

// VmRSS of process `pid` in KiB; 0 when it cannot be read.
inline int64_t ResidentKib(pid_t pid) { return ProcStatusKib(pid, "VmRSS"); }

// The peak resident memory of process `pid` (VmHWM, KiB) since the last
// ResetPeakResident, sampled by the kernel at every page it maps in.
inline int64_t PeakResidentKib(pid_t pid) { return ProcStatusKib(pid, "VmHWM"); }

// Sets the peak of process `pid` back to its current resident memory (Linux's
// clear_refs "5").
inline void ResetPeakResident(pid_t pid) {
  std::ofstream("/proc/" + std::to_string(pid) + "/clear_refs") << "5";
}

// The `fraction` percentile (0.5, 0.99) of `samples`, by the nearest rank.
inline double Percentile(std::vector<double> samples, double fraction) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const size_t rank = static_cast<size_t>(fraction * static_cast<double>(samples.size()));
  return samples[std::min(rank, samples.size() - 1)];
}

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_RELIABILITY_RELIABILITY_SUPPORT_H_
