// Helpers for the CLI tests: run the built qbake as a process (with a timeout),
// scratch folders, and a small model whose tensors live in ONNX external data
// files. Header-only because tests/CMakeLists.txt builds every tests/cli/*_test.cc
// into cli_tests.
#ifndef QBAKE_TESTS_CLI_CLI_TEST_SUPPORT_H_
#define QBAKE_TESTS_CLI_CLI_TEST_SUPPORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "onnx/onnx_pb.h"
#include "tests/support/model_builder.h"
#include "tests/support/test_data.h"

namespace qbake::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when the process did not exit normally
  int signal = 0;      // the signal that ended it, if one did
  std::string out;
  std::string err;

  // The lines of stderr (a trailing newline ends the last one).
  std::vector<std::string> ErrLines() const {
    return absl::StrSplit(absl::StripSuffix(err, "\n"), '\n', absl::SkipEmpty());
  }
};

inline std::string ReadStream(std::FILE* file) {
  std::string text;
  std::rewind(file);
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) text.append(buffer, n);
  std::fclose(file);
  return text;
}

// Waits for the child `pid` to exit; after `timeout` kills it and returns false.
// `status` receives waitpid's status.
inline bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout, int* status) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (waitpid(pid, status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > give_up) {
      kill(pid, SIGKILL);
      waitpid(pid, status, 0);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Runs the built qbake with `args`, capturing stdout and stderr. A run that takes
// longer than `timeout` is killed and fails the test.
// Starts qbake with `args`, its standard output and error going to `out` and `err`;
// `in_child` (when given) runs in the child just before qbake starts.
inline pid_t StartQbake(std::vector<std::string> args, std::FILE* out, std::FILE* err,
                        const std::function<void()>& in_child = nullptr) {
  std::vector<char*> argv = {const_cast<char*>(QBAKE_CLI_PATH)};
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fileno(out), STDOUT_FILENO);
    dup2(fileno(err), STDERR_FILENO);
    if (in_child) in_child();
    execv(QBAKE_CLI_PATH, argv.data());
    _exit(127);
  }
  return pid;
}

// Waits for the qbake StartQbake started (killing it after `timeout`) and collects
// what it printed. `wait_status` (when given) receives its wait status.
inline ProcessResult FinishQbake(pid_t pid, std::FILE* out, std::FILE* err,
                                 std::chrono::seconds timeout = std::chrono::seconds(120),
                                 int* wait_status = nullptr) {
  int status = 0;
  EXPECT_TRUE(WaitForExit(pid, timeout, &status))
      << "qbake ran longer than " << timeout.count() << " s and was killed";
  if (wait_status != nullptr) *wait_status = status;
  ProcessResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  result.out = ReadStream(out);
  result.err = ReadStream(err);
  return result;
}

inline ProcessResult RunQbake(std::vector<std::string> args,
                              std::chrono::seconds timeout = std::chrono::seconds(120),
                              const std::function<void()>& in_child = nullptr) {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  const pid_t pid = StartQbake(std::move(args), out, err, in_child);
  return FinishQbake(pid, out, err, timeout);
}

// A loopback port where nothing listens: one the system just handed out and took back.
inline int ClosedLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  close(fd);
  return ntohs(address.sin_port);
}

// A fresh folder under the test temp dir, removed with everything in it.
class ScratchFolder {
 public:
  ScratchFolder() {
    std::string name = ::testing::TempDir() + "qbake_cli_XXXXXX";
    EXPECT_NE(mkdtemp(name.data()), nullptr);
    path_ = name;
  }
  ~ScratchFolder() { std::filesystem::remove_all(path_); }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // path() / relative, as a string for command lines.
  std::string operator/(const std::string& relative) const { return (path_ / relative).string(); }

 private:
  std::filesystem::path path_;
};

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

// The names in `folder`, hidden ones included, sorted.
inline std::vector<std::string> FolderNames(const std::filesystem::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline void WriteFileOrDie(const std::filesystem::path& path, absl::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

inline onnx::ModelProto ParseModelOrDie(const std::filesystem::path& path) {
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(ReadFileOrDie(path.string()))) << path;
  return model;
}

// The parameters of a model: initializers by name and Constant `value` tensors by
// the node's output.
inline std::vector<std::pair<std::string, onnx::TensorProto*>> Parameters(onnx::ModelProto* model) {
  std::vector<std::pair<std::string, onnx::TensorProto*>> parameters;
  onnx::GraphProto* graph = model->mutable_graph();
  for (onnx::TensorProto& tensor : *graph->mutable_initializer()) {
    parameters.emplace_back(tensor.name(), &tensor);
  }
  for (onnx::NodeProto& node : *graph->mutable_node()) {
    for (onnx::AttributeProto& attribute : *node.mutable_attribute()) {
      if (node.op_type() == "Constant" && attribute.name() == "value") {
        parameters.emplace_back(node.output(0), attribute.mutable_t());
      }
    }
  }
  return parameters;
}

// Float32 little-endian bytes of `values`.
inline std::string FloatBytes(const std::vector<float>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

// Moves a tensor's raw_data to external storage described by `entries`
// ({"location", ...}, {"offset", ...}, {"length", ...}); returns the bytes.
inline std::string MakeExternal(onnx::TensorProto* tensor,
                                std::vector<std::pair<std::string, std::string>> entries) {
  std::string bytes = tensor->raw_data();
  tensor->clear_raw_data();
  tensor->set_data_location(onnx::TensorProto::EXTERNAL);
  for (const auto& [key, value] : entries) {
    onnx::StringStringEntryProto* entry = tensor->add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  }
  return bytes;
}

// A tensor's external_data entries by key.
inline std::map<std::string, std::string> ExternalEntries(const onnx::TensorProto& tensor) {
  std::map<std::string, std::string> entries;
  for (const onnx::StringStringEntryProto& entry : tensor.external_data()) {
    entries[entry.key()] = entry.value();
  }
  return entries;
}

// y = MatMul(x, W) (node "mm"); z = Add(y, k) (node "add"), k from Constant node
// "k_node". W is [4, 8]; B [8] feeds no node.
inline onnx::ModelProto SmallModel() {
  std::vector<float> w(32);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.37f * static_cast<float>(i) - 5.3f;
  ModelBuilder builder;
  builder.Initializer(MakeTensor("W", {4, 8}, w))
      .Initializer(MakeTensor("B", {8}, std::vector<float>(8, 0.123f)))
      .Constant(MakeTensor("k", {8}, {0.26f, -0.31f, 1.04f, 0.5f, -0.77f, 0.01f, 2.2f, 3.3f}))
      .Node("MatMul", "mm", {"x", "W"}, {"y"})
      .Node("Add", "add", {"y", "k"}, {"z"});
  onnx::ModelProto model = builder.model();
  model.set_ir_version(8);
  model.add_opset_import()->set_version(13);
  model.mutable_graph()->set_name("small");
  model.mutable_graph()->add_input()->set_name("x");
  model.mutable_graph()->add_output()->set_name("z");
  return model;
}

// A PPQ config document for SmallModel: W and k ACTIVATED, per tensor, 8 bits.
inline std::string SmallModelConfig() {
  const std::string tqc = R"({"bit_width": 8, "policy": ["PER_TENSOR", "LINEAR", "SYMMETRICAL"],
      "state": "ACTIVATED", "quant_min": -128, "quant_max": 127, "hash": %HASH%,
      "dominator": %HASH%})";
  auto config = [&tqc](absl::string_view hash) {
    return absl::StrReplaceAll(tqc, {{"%HASH%", hash}});
  };
  return absl::StrCat(R"({"configs": {"mm": {"W": )", config("1"), R"(}, "add": {"k": )",
                      config("2"), R"(}},
  "dispatchings": {"mm": "TRT_INT8", "add": "TRT_INT8"},
  "values": {"1": {"scale": 0.05, "zero_point": 0}, "2": {"scale": 0.0125, "zero_point": 0}}}
)");
}

// The size of weights.bin as WriteExternalSmallModel lays out the external data:
// B at 0..32, filler, W at 64..192, trailer (sub/k.bin holds k).
constexpr int64_t kWeightsFileSize = 200;

// Writes SmallModel to folder/model.onnx with B and W in weights.bin and the Constant's
// value in sub/k.bin (no offset or length entries); returns the model as written.
inline onnx::ModelProto WriteExternalSmallModel(const std::filesystem::path& folder) {
  onnx::ModelProto model = SmallModel();
  std::string weights(kWeightsFileSize, '\xab');
  auto move_into_weights = [&weights](onnx::TensorProto* tensor, size_t offset) {
    const size_t length = tensor->raw_data().size();
    const std::string bytes = MakeExternal(tensor, {{"location", "weights.bin"},
                                                    {"offset", std::to_string(offset)},
                                                    {"length", std::to_string(length)}});
    weights.replace(offset, length, bytes);
  };
  for (auto& [name, tensor] : Parameters(&model)) {
    if (name == "B") move_into_weights(tensor, 0);
    if (name == "W") move_into_weights(tensor, 64);
    if (name == "k") {
      std::filesystem::create_directories(folder / "sub");
      WriteFileOrDie(folder / "sub" / "k.bin", MakeExternal(tensor, {{"location", "sub/k.bin"}}));
    }
  }
  WriteFileOrDie(folder / "weights.bin", weights);
  WriteFileOrDie(folder / "model.onnx", model.SerializeAsString());
  return model;
}

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_CLI_CLI_TEST_SUPPORT_H_
