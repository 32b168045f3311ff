// File safety of the qbake CLI and its client, as a careless user and an attacker
// meet it: no output damages a device, a link or an input; "-" is standard output
// only for the report; non-regular inputs are refused at once; a data file swapped
// for a symbolic link while being read never yields the outside file's bytes; an
// interrupted bake leaves no temporaries; memory running out is an error, not an
// abort. Each runs locally and through a real qbake-server where both apply.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/model_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli/cli_test_support.h"
#include "tests/cli/remote_test_support.h"
#include "tests/reliability/reliability_support.h"
#include "tests/support/model_parameters.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/small_model.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

class FileSafetyTest : public ::testing::Test {
 protected:
  FileSafetyTest() {
    WriteModel(input_.path(), SmallModel());
    WriteFileOrDie(input_.path() / "config.json", SmallModelConfig());
  }

  static void WriteModel(const fs::path& folder, const onnx::ModelProto& model) {
    WriteFileOrDie(folder / "model.onnx", model.SerializeAsString());
  }

  // qbake bake of the input with `flags`, locally and then through the server.
  std::vector<ProcessResult> BakeBothWays(const std::vector<std::string>& flags) {
    std::vector<std::string> args = {"bake", input_ / "model.onnx", "--config",
                                     input_ / "config.json"};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<std::string> remote = args;
    for (const std::string& flag : RemoteFlags(*server_)) remote.push_back(flag);
    return {RunQbake(args, std::chrono::seconds(60)), RunQbake(remote, std::chrono::seconds(60))};
  }

  // Both ways exit 1 with one error line holding `culprit` and nothing on stdout.
  void ExpectRefusedBothWays(const std::vector<std::string>& flags, const std::string& culprit) {
    for (const ProcessResult& run : BakeBothWays(flags)) {
      EXPECT_EQ(run.exit_code, 1) << run.err;
      EXPECT_EQ(run.out, "");
      EXPECT_EQ(run.ErrLines().size(), 1u) << run.err;
      EXPECT_THAT(run.err, StartsWith("qbake: error: "));
      EXPECT_THAT(run.err, HasSubstr(culprit));
    }
  }

  ScratchFolder input_;
  ScratchFolder output_;
  ScratchFolder outside_;
  const std::unique_ptr<ServerProcess> server_ = StartServer();
};

TEST_F(FileSafetyTest, AnOutputNamingADeviceLeavesTheDeviceAlone) {
  const fs::path device = output_.path() / "null";
  ASSERT_EQ(mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ExpectRefusedBothWays({"--output", device.string()}, "it is a character device");
  struct stat info;
  ASSERT_EQ(lstat(device.c_str(), &info), 0);
  EXPECT_TRUE(S_ISCHR(info.st_mode));
  EXPECT_THAT(FolderNames(output_.path()), ElementsAre("null"));
}

TEST_F(FileSafetyTest, AnOutputNamingALinkToStandardOutputIsRefused) {
  fs::create_symlink("/proc/self/fd/1", output_.path() / "stdout");  // as /dev/stdout is
  ExpectRefusedBothWays({"--output", output_ / "stdout"}, "it is a symbolic link");
  EXPECT_TRUE(fs::is_symlink(output_.path() / "stdout"));
  EXPECT_THAT(FolderNames(output_.path()), ElementsAre("stdout"));
}

TEST_F(FileSafetyTest, NoOutputReplacesAnInput) {
  const std::string model = ReadFileOrDie(input_ / "model.onnx");
  const std::string config = ReadFileOrDie(input_ / "config.json");
  fs::create_hard_link(input_.path() / "model.onnx", output_.path() / "alias.onnx");
  const std::vector<std::pair<std::vector<std::string>, std::string>> rows = {
      {{"--output", output_ / "out.onnx", "--report", input_ / "model.onnx"}, "the input model"},
      {{"--output", input_ / "model.onnx"}, "the input model"},
      {{"--output", output_ / "alias.onnx"}, "the input model"},
      {{"--output", output_ / "out.onnx", "--config-out", input_ / "config.json"},
       "the input config"},
  };
  for (const auto& [flags, culprit] : rows) {
    SCOPED_TRACE(flags[1] + " " + flags.back());
    ExpectRefusedBothWays(flags, culprit);
    EXPECT_EQ(ReadFileOrDie(input_ / "model.onnx"), model);
    EXPECT_EQ(ReadFileOrDie(input_ / "config.json"), config);
    EXPECT_THAT(FolderNames(output_.path()), ElementsAre("alias.onnx"));
    EXPECT_THAT(FolderNames(input_.path()), ElementsAre("config.json", "model.onnx"));
  }
}

TEST_F(FileSafetyTest, ABakeBesideItsModelDoesNotOverwriteItsDataFile) {
  WriteExternalSmallModel(input_.path());
  const std::string weights = ReadFileOrDie(input_ / "weights.bin");
  ExpectRefusedBothWays({"--output", input_ / "baked.onnx"}, "the input data file");
  EXPECT_EQ(ReadFileOrDie(input_ / "weights.bin"), weights);
  EXPECT_THAT(FolderNames(input_.path()),
              ElementsAre("config.json", "model.onnx", "sub", "weights.bin"));
}

TEST_F(FileSafetyTest, DashIsStandardOutputForTheReportOnly) {
  const std::vector<std::vector<std::string>> dashes = {
      {"--output", "-"}, {"--output", output_ / "out.onnx", "--config-out", "-"}};
  for (const std::vector<std::string>& flags : dashes) {
    const std::string& flag = flags[flags.size() - 2];
    for (const ProcessResult& run : BakeBothWays(flags)) {
      EXPECT_EQ(run.exit_code, 2) << run.err;
      EXPECT_THAT(run.err, HasSubstr(flag + " cannot be '-'"));
    }
    EXPECT_THAT(FolderNames(output_.path()), IsEmpty());
    EXPECT_THAT(FolderNames(fs::current_path()), ::testing::Not(::testing::Contains("-")));
  }
  for (const ProcessResult& run :
       BakeBothWays({"--output", output_ / "out.onnx", "--report", "-"})) {
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const nlohmann::json report = nlohmann::json::parse(run.out);
    EXPECT_EQ(report["counts"]["configs"], 2) << run.out;
    EXPECT_THAT(run.err, HasSubstr("the report to standard output"));
    EXPECT_THAT(FolderNames(output_.path()), ElementsAre("out.json", "out.onnx"));
  }
}

TEST_F(FileSafetyTest, ExternalDataThatIsAFifoIsRefusedAtOnce) {
  WriteExternalSmallModel(input_.path());
  fs::remove(input_.path() / "weights.bin");
  ASSERT_EQ(mkfifo((input_.path() / "weights.bin").c_str(), 0666), 0);
  ExpectRefusedBothWays({"--output", output_ / "out.onnx"}, "it is a FIFO, not a regular file");
  EXPECT_THAT(FolderNames(output_.path()), IsEmpty());
}

TEST_F(FileSafetyTest, AnAuthTokenFileThatIsAFifoIsRefusedAtOnce) {
  const fs::path fifo = outside_.path() / "token";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0666), 0);
  std::vector<std::string> args = {
      "bake",     input_ / "model.onnx", "--config",          input_ / "config.json",
      "--output", output_ / "out.onnx",  "--auth-token-file", fifo.string()};
  for (const std::string& flag : RemoteFlags(*server_)) args.push_back(flag);
  const ProcessResult client = RunQbake(args, std::chrono::seconds(60));
  EXPECT_EQ(client.exit_code, 1) << client.err;
  EXPECT_THAT(client.err, HasSubstr("it is a FIFO"));
  ServerProcess server({"--listen", "127.0.0.1:0", "--auth-token-file", fifo.string()});
  EXPECT_EQ(server.WaitForExit(absl::Seconds(20)), 1);
  EXPECT_THAT(server.Stderr(), HasSubstr("it is a FIFO"));
}

// A model with 96 MiB of external weights under address-space limits. Under 200 MiB
// (where the filed attack aborted) qbake bakes it or says memory ran out. Under
// 120 MiB a local bake, which holds the tensor, cannot bake it and says so; a remote
// one holds a few chunks and may bake it. A refusal is one line, exit 1, no output;
// never an abort or a hang.
TEST_F(FileSafetyTest, AnAddressSpaceLimitMakesRunningOutOfMemoryAnErrorNotAnAbort) {
  onnx::ModelProto model = ModelWithRows(int64_t{3} << 20);  // 3 Mi x 8 floats: 96 MiB
  for (auto& [name, tensor] : Parameters(&model)) {
    if (name == "W")
      WriteFileOrDie(input_.path() / "w.bin", MakeExternal(tensor, {{"location", "w.bin"}}));
  }
  WriteModel(input_.path(), model);
  std::vector<std::string> local = {"bake",     input_ / "model.onnx",
                                    "--config", input_ / "config.json",
                                    "--output", output_ / "out.onnx"};
  std::vector<std::string> remote = local;
  for (const std::string& flag : RemoteFlags(*server_)) remote.push_back(flag);
  for (const rlim_t mib : {200, 120}) {
    SubprocessOptions limit_address_space;
    limit_address_space.address_space_limit = mib << 20;
    for (const std::vector<std::string>& args : {local, remote}) {
      SCOPED_TRACE(::testing::Message() << mib << " MiB, " << args.back());
      for (const fs::directory_entry& entry : fs::directory_iterator(output_.path())) {
        fs::remove(entry.path());
      }
      const ProcessResult run = RunQbake(args, std::chrono::seconds(120), limit_address_space);
      if ((mib == 200 || args == remote) && run.exit_code == 0) {
        EXPECT_THAT(FolderNames(output_.path()), ElementsAre("out.json", "out.onnx", "w.bin"));
        continue;
      }
      EXPECT_EQ(run.exit_code, 1) << run.err << " (signal " << run.signal << ")";
      EXPECT_EQ(run.ErrLines().size(), 1u) << run.err;
      EXPECT_THAT(run.err, HasSubstr("qbake: error: out of memory"));
      EXPECT_THAT(FolderNames(output_.path()), IsEmpty());
    }
  }
}

// Ctrl-C at any moment of a bake whose writing takes a while: qbake ends by the
// signal (or has finished), and leaves either every output or none, never a
// hidden temporary.
TEST_F(FileSafetyTest, AnInterruptedBakeLeavesNoTemporaries) {
  onnx::ModelProto model = ModelWithRows(int64_t{2} << 20);  // 64 MiB of weights
  for (auto& [name, tensor] : Parameters(&model)) {
    if (name == "W")
      WriteFileOrDie(input_.path() / "w.bin", MakeExternal(tensor, {{"location", "w.bin"}}));
  }
  WriteModel(input_.path(), model);
  const std::vector<std::string> args = {
      "bake",     input_ / "model.onnx",    "--config", input_ / "config.json",
      "--output", output_ / "out/out.onnx", "--report", output_ / "r.json"};
  const auto started = std::chrono::steady_clock::now();
  const ProcessResult first = RunQbake(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto whole_run = std::chrono::steady_clock::now() - started;
  int interrupted = 0;
  for (int attempt = 0; attempt < 10; ++attempt) {
    fs::remove_all(output_.path() / "out");
    fs::remove(output_.path() / "r.json");
    const std::unique_ptr<Subprocess> qbake = StartQbake(args);
    std::this_thread::sleep_for(whole_run * attempt / 10);
    qbake->Signal(SIGINT);
    const ProcessResult run = FinishQbake(qbake.get(), std::chrono::seconds(60));
    SCOPED_TRACE(attempt);
    if (run.signal != 0) {
      ++interrupted;
      EXPECT_EQ(run.signal, SIGINT);
    } else {
      EXPECT_EQ(run.exit_code, 0) << run.err;
    }
    const std::vector<std::string> left = FilesUnder(output_.path());
    for (const std::string& file : left) EXPECT_THAT(file, ::testing::Not(HasSubstr(".qbake-")));
    const bool all = left.size() == 4u;  // out.onnx, out.json, w.bin, r.json
    EXPECT_TRUE(left.empty() || all) << ::testing::PrintToString(left);
  }
  EXPECT_GT(interrupted, 0);
}

// The server killed at tenths of a remote bake of a 64 MiB model: qbake exits 1 with
// one line (or has finished, with every output), and leaves no output and no
// temporary otherwise.
TEST_F(FileSafetyTest, AServerKilledMidBakeLeavesNoOutput) {
  onnx::ModelProto model = ModelWithRows(int64_t{2} << 20);  // 64 MiB of weights
  for (auto& [name, tensor] : Parameters(&model)) {
    if (name == "W")
      WriteFileOrDie(input_.path() / "w.bin", MakeExternal(tensor, {{"location", "w.bin"}}));
  }
  WriteModel(input_.path(), model);
  std::vector<std::string> args = {"bake",     input_ / "model.onnx",
                                   "--config", input_ / "config.json",
                                   "--output", output_ / "out.onnx"};
  const auto started = std::chrono::steady_clock::now();
  {
    std::vector<std::string> timed = args;
    for (const std::string& flag : RemoteFlags(*server_)) timed.push_back(flag);
    const ProcessResult first = RunQbake(timed);
    ASSERT_EQ(first.exit_code, 0) << first.err;
  }
  const auto whole_run = std::chrono::steady_clock::now() - started;
  int failed = 0;
  for (int attempt = 1; attempt < 10; ++attempt) {
    SCOPED_TRACE(attempt);
    for (const fs::directory_entry& entry : fs::directory_iterator(output_.path())) {
      fs::remove(entry.path());
    }
    const std::unique_ptr<ServerProcess> server = StartServer();
    std::vector<std::string> remote = args;
    // No retry: with the only server gone, the bake must end here, as unavailable.
    for (const std::string& flag : RemoteFlags(*server, {"--retries", "0"})) {
      remote.push_back(flag);
    }
    const std::unique_ptr<Subprocess> qbake = StartQbake(remote);
    std::this_thread::sleep_for(whole_run * attempt / 10);
    server->Signal(SIGKILL);
    const ProcessResult run = FinishQbake(qbake.get(), std::chrono::seconds(60));
    if (run.exit_code == 0) {
      EXPECT_THAT(FolderNames(output_.path()), ElementsAre("out.json", "out.onnx", "w.bin"));
      continue;
    }
    ++failed;
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_EQ(run.ErrLines().size(), 1u) << run.err;
    EXPECT_THAT(FolderNames(output_.path()), IsEmpty());
  }
  EXPECT_GT(failed, 0);
}

// One thread swaps the data file with a symbolic link to a file outside the model's
// folder and back (an atomic exchange of the two names, as fast as it can) while
// the model is read at least 10 000 times, and until each state has been met 100
// times: each read gives the inside bytes or refuses the link, never the outside
// bytes.
TEST(ExternalDataRaceTest, ASymbolicLinkSwappedInIsNeverFollowed) {
  ScratchFolder input;
  ScratchFolder outside;
  WriteExternalSmallModel(input.path());
  const std::string inside = ReadFileOrDie(input / "weights.bin");
  WriteFileOrDie(outside.path() / "secret.bin", std::string(inside.size(), 'S'));
  fs::create_symlink(outside.path() / "secret.bin", input.path() / "spare.bin");
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    const std::string a = input / "weights.bin";
    const std::string b = input / "spare.bin";
    while (!stop.load()) {
      ASSERT_EQ(renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE), 0);
    }
  });
  int read = 0;
  int refused = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int attempt = 0; attempt < 10000 || ((read < 100 || refused < 100) &&
                                            std::chrono::steady_clock::now() < give_up);
       ++attempt) {
    absl::StatusOr<ModelFile> file = ReadModelFile(input.path() / "model.onnx");
    if (!file.ok()) {
      ASSERT_THAT(std::string(file.status().message()),
                  HasSubstr("weights.bin' is a symbolic link"));
      ++refused;
      continue;
    }
    ++read;
    for (const ExternalTensor& external : file->external) {
      if (external.location != "weights.bin") continue;
      ASSERT_EQ(external.tensor->raw_data(), inside.substr(external.offset, external.length));
    }
  }
  stop = true;
  swapper.join();
  EXPECT_GE(read, 100);
  EXPECT_GE(refused, 100);
  RecordProperty("reads", read);
  RecordProperty("refusals", refused);
}

}  // namespace
}  // namespace qbake::testing
