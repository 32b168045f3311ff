// The qbake_model_files library on its own: all-or-nothing staging, and ONNX
// external data read and written back unchanged, inside the model's folder only.
#include "cli/model_files.h"

#include <sys/resource.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include "cli/staged_outputs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/scratch_folder.h"
#include "tests/support/small_model.h"
#include "tests/support/test_data.h"

namespace qbake::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(StagedOutputsTest, NothingAppearsUntilCommit) {
  ScratchFolder folder;
  {
    StagedOutputs outputs;
    ASSERT_TRUE(outputs.StageBytes(folder.path() / "a.txt", "a").ok());
    ASSERT_TRUE(outputs.StageBytes(folder.path() / "new/b.txt", "b").ok());
    EXPECT_FALSE(fs::exists(folder.path() / "a.txt"));
  }
  EXPECT_THAT(FolderNames(folder.path()), IsEmpty());
}

TEST(StagedOutputsTest, CommitMovesEveryOutputIntoPlace) {
  ScratchFolder folder;
  StagedOutputs outputs;
  ASSERT_TRUE(outputs.StageBytes(folder.path() / "a.txt", "a").ok());
  ASSERT_TRUE(outputs.StageBytes(folder.path() / "new/b.txt", "b").ok());
  ASSERT_TRUE(outputs.Commit().ok());
  EXPECT_THAT(FolderNames(folder.path()), ElementsAre("a.txt", "new"));
  EXPECT_EQ(ReadFileOrDie(folder / "a.txt"), "a");
  EXPECT_EQ(ReadFileOrDie(folder / "new/b.txt"), "b");
}

TEST(StagedOutputsTest, OneDestinationTwiceIsRefused) {
  ScratchFolder folder;
  StagedOutputs outputs;
  ASSERT_TRUE(outputs.StageBytes(folder.path() / "a.txt", "a").ok());
  const absl::Status again = outputs.StageBytes(folder.path() / "./a.txt", "b");
  EXPECT_THAT(std::string(again.message()), HasSubstr("two outputs"));
}

TEST(ModelFilesTest, ReadLoadsExternalTensorsAndRemembersWhere) {
  ScratchFolder folder;
  WriteExternalSmallModel(folder.path());
  absl::StatusOr<ModelFile> file = ReadModelFile(folder.path() / "model.onnx");
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->external.size(), 3u);
  for (const ExternalTensor& external : file->external) {
    EXPECT_EQ(external.tensor->data_location(), onnx::TensorProto::DEFAULT);
    EXPECT_EQ(external.tensor->external_data_size(), 0);
    EXPECT_EQ(static_cast<int64_t>(external.tensor->raw_data().size()), external.length);
  }
  EXPECT_EQ(file->external[0].label, "tensor 'W'");
  EXPECT_EQ(file->external[0].offset, 64);
  EXPECT_EQ(file->external[2].label, "tensor 'k'");
  EXPECT_EQ(file->external[2].location, "sub/k.bin");
}

TEST(ModelFilesTest, UnchangedModelIsWrittenBackByteForByte) {
  ScratchFolder in;
  ScratchFolder out;
  WriteExternalSmallModel(in.path());
  absl::StatusOr<ModelFile> file = ReadModelFile(in.path() / "model.onnx");
  ASSERT_TRUE(file.ok()) << file.status();
  StagedOutputs outputs;
  ASSERT_TRUE(StageModelFile(&*file, out.path() / "model.onnx", &outputs).ok());
  ASSERT_TRUE(outputs.Commit().ok());
  for (const char* name : {"model.onnx", "weights.bin", "sub/k.bin"}) {
    EXPECT_TRUE(ReadFileOrDie(out / name) == ReadFileOrDie(in / name)) << name;
  }
  EXPECT_TRUE(file->external[0].tensor->has_raw_data());  // still loaded
}

TEST(ModelFilesTest, LocatedTensorsStayInTheirFilesUntilLoaded) {
  ScratchFolder folder;
  WriteExternalSmallModel(folder.path());
  absl::StatusOr<ModelFile> file =
      ReadModelFile(folder.path() / "model.onnx", ExternalData::kLocate);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->external.size(), 3u);
  for (const ExternalTensor& external : file->external) {
    EXPECT_EQ(external.tensor->data_location(), onnx::TensorProto::EXTERNAL);
    EXPECT_FALSE(external.tensor->has_raw_data());
  }
  ExternalTensor& w = file->external[0];
  ASSERT_EQ(w.label, "tensor 'W'");
  EXPECT_EQ(w.offset, 64);
  EXPECT_EQ(w.length, 128);
  std::string buffer;
  buffer.reserve(4096);
  const char* storage = buffer.data();
  ASSERT_TRUE(ReadTensorBytes(w, &buffer).ok());
  EXPECT_FALSE(w.tensor->has_raw_data());  // read, not loaded
  LoadExternalTensor(&w, std::move(buffer));
  EXPECT_EQ(w.tensor->data_location(), onnx::TensorProto::DEFAULT);
  EXPECT_EQ(w.tensor->external_data_size(), 0);
  EXPECT_TRUE(w.tensor->raw_data() == ReadFileOrDie(folder / "weights.bin").substr(64, 128));
  EXPECT_EQ(w.tensor->raw_data().data(), storage);  // the buffer's storage, reused
  EXPECT_EQ(UnloadExternalTensor(&w).data(), storage);
  EXPECT_TRUE(file->model->SerializeAsString() == ReadFileOrDie(folder / "model.onnx"));
}

TEST(ModelFilesTest, LocatedInlineTensorsAreLoadedFromTheModelFile) {
  ScratchFolder folder;
  onnx::ModelProto model = SmallModel();
  const std::string big(2048, '\x3c');
  onnx::TensorProto* added = model.mutable_graph()->add_initializer();
  added->set_name("big");
  added->set_data_type(onnx::TensorProto::FLOAT);
  added->add_dims(512);
  added->set_raw_data(big);
  WriteFileOrDie(folder.path() / "model.onnx", model.SerializeAsString());
  absl::StatusOr<ModelFile> file =
      ReadModelFile(folder.path() / "model.onnx", ExternalData::kLocate);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_NE(file->source, nullptr);
  std::map<std::string, const InlineTensor*> by_label;
  for (const InlineTensor& tensor : file->inline_data) by_label[tensor.label] = &tensor;
  ASSERT_EQ(by_label.size(), 4u);  // W, B, big and the Constant's k
  const InlineTensor& w = *by_label.at("tensor 'W'");
  EXPECT_FALSE(w.unloaded);
  EXPECT_EQ(w.tensor->raw_data().size(), 128u);
  const InlineTensor& loaded = *by_label.at("tensor 'big'");
  ASSERT_TRUE(loaded.unloaded);
  EXPECT_FALSE(loaded.tensor->has_raw_data());
  std::string buffer;
  buffer.reserve(4096);
  const char* storage = buffer.data();
  ASSERT_TRUE(ReadTensorBytes(*file, loaded, &buffer).ok());
  EXPECT_FALSE(loaded.tensor->has_raw_data());  // read, not loaded
  LoadInlineTensor(loaded, std::move(buffer));
  EXPECT_TRUE(loaded.tensor->raw_data() == big);
  EXPECT_EQ(loaded.tensor->raw_data().data(), storage);  // the buffer's storage, reused
  EXPECT_EQ(UnloadInlineTensor(loaded).data(), storage);
  EXPECT_FALSE(loaded.tensor->has_raw_data());
}

// SmallModel with its external data, read with ExternalData::kLocate, and a stage of
// it into an empty folder.
class ModelFileStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteExternalSmallModel(in_.path());
    absl::StatusOr<ModelFile> file =
        ReadModelFile(in_.path() / "model.onnx", ExternalData::kLocate);
    ASSERT_TRUE(file.ok()) << file.status();
    file_ = *std::move(file);
  }

  // Begins the stage with `rewritten` the only tensor to be rewritten.
  ModelFileStage BeginRewritingOnly(const ExternalTensor& rewritten) {
    absl::StatusOr<ModelFileStage> stage = ModelFileStage::Begin(
        file_, out_.path() / "model.onnx", &outputs_,
        [&rewritten](const onnx::TensorProto& tensor) { return &tensor == rewritten.tensor; });
    EXPECT_TRUE(stage.ok()) << stage.status();
    return *std::move(stage);
  }

  ScratchFolder in_;
  ScratchFolder out_;
  ModelFile file_;
  StagedOutputs outputs_;
};

TEST_F(ModelFileStageTest, AStageCopiesWhatIsNotRewrittenAndWritesWhatIs) {
  ExternalTensor& w = file_.external[0];
  const ModelFileStage stage = BeginRewritingOnly(w);
  LoadExternalTensor(&w, std::string(128, '\x11'));
  ASSERT_TRUE(stage.Write(w).ok());
  UnloadExternalTensor(&w);
  ASSERT_TRUE(stage.Finish(*file_.model).ok());
  ASSERT_TRUE(outputs_.Commit().ok());
  std::string expected = ReadFileOrDie(in_ / "weights.bin");
  expected.replace(64, 128, std::string(128, '\x11'));
  EXPECT_TRUE(ReadFileOrDie(out_ / "weights.bin") == expected);
  EXPECT_TRUE(ReadFileOrDie(out_ / "sub/k.bin") == ReadFileOrDie(in_ / "sub/k.bin"));
  EXPECT_TRUE(ReadFileOrDie(out_ / "model.onnx") == ReadFileOrDie(in_ / "model.onnx"));
}

TEST_F(ModelFileStageTest, AStageDoesNotCopyAFileItsRewrittenTensorsCover) {
  const ExternalTensor& k = file_.external[2];
  ASSERT_EQ(k.label, "tensor 'k'");
  const ModelFileStage stage = BeginRewritingOnly(k);
  ASSERT_TRUE(stage.Finish(*file_.model).ok());
  ASSERT_TRUE(outputs_.Commit().ok());
  // k was to be written and was not: nothing else fills its file.
  EXPECT_EQ(fs::file_size(out_.path() / "sub/k.bin"), 0u);
  EXPECT_TRUE(ReadFileOrDie(out_ / "weights.bin") == ReadFileOrDie(in_ / "weights.bin"));
}

TEST(ModelFilesTest, WritingOutsideTheOutputFolderIsRefused) {
  ScratchFolder in;
  ScratchFolder out;
  WriteExternalSmallModel(in.path());
  absl::StatusOr<ModelFile> file = ReadModelFile(in.path() / "model.onnx");
  ASSERT_TRUE(file.ok()) << file.status();
  file->external[0].location = "../escaped.bin";
  {
    StagedOutputs outputs;
    const absl::Status status = StageModelFile(&*file, out.path() / "model.onnx", &outputs);
    EXPECT_THAT(std::string(status.message()), HasSubstr("tensor 'W'"));
    EXPECT_THAT(std::string(status.message()), HasSubstr("../escaped.bin"));
  }
  EXPECT_THAT(FolderNames(out.path()), IsEmpty());
  EXPECT_FALSE(fs::exists(out.path().parent_path() / "escaped.bin"));
}

// Files may grow to `bytes` at most while it lives (RLIMIT_FSIZE; a write beyond
// fails with EFBIG instead of raising SIGXFSZ).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) : old_signal_(std::signal(SIGXFSZ, SIG_IGN)) {
    getrlimit(RLIMIT_FSIZE, &old_limit_);
    const rlimit limit{bytes, old_limit_.rlim_max};
    EXPECT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old_limit_);
    std::signal(SIGXFSZ, old_signal_);
  }

 private:
  void (*old_signal_)(int);
  rlimit old_limit_;
};

TEST(ModelFilesTest, AModelThatCannotBeWrittenNamesItsFileAndLeavesNothing) {
  ScratchFolder in;
  ScratchFolder out;
  WriteFileOrDie(in.path() / "model.onnx", SmallModel().SerializeAsString());
  absl::StatusOr<ModelFile> file = ReadModelFile(in.path() / "model.onnx");
  ASSERT_TRUE(file.ok()) << file.status();
  {
    StagedOutputs outputs;
    absl::Status status;
    {
      const FileSizeLimit limit(16);
      status = StageModelFile(&*file, out.path() / "model.onnx", &outputs);
    }
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(status.message(), "cannot write '" + (out.path() / "model.onnx").string() +
                                    "': " + std::strerror(EFBIG));
  }
  EXPECT_THAT(FolderNames(out.path()), IsEmpty());
}

TEST(ModelFilesTest, AModelIsReadAndWrittenBackByteForByte) {
  ScratchFolder in;
  ScratchFolder out;
  const std::string bytes = SmallModel().SerializeAsString();
  WriteFileOrDie(in.path() / "model.onnx", bytes);
  absl::StatusOr<ModelFile> file = ReadModelFile(in.path() / "model.onnx");
  ASSERT_TRUE(file.ok()) << file.status();
  StagedOutputs outputs;
  ASSERT_TRUE(StageModelFile(&*file, out.path() / "model.onnx", &outputs).ok());
  ASSERT_TRUE(outputs.Commit().ok());
  EXPECT_TRUE(ReadFileOrDie(out / "model.onnx") == bytes);
}

}  // namespace
}  // namespace qbake::testing
