#include "tests/fuzz/stream_feed.h"

#include <cstdlib>
#include <utility>

#include "qbake/v1/bake.pb.h"
#include "server/wire_message.h"

namespace qbake::fuzz {

std::unique_ptr<onnx::ModelProto> FeedStream(const std::vector<absl::string_view>& messages,
                                             StreamAssembler* assembler) {
  std::unique_ptr<onnx::ModelProto> model;
  std::vector<onnx::TensorProto*> completed;
  for (const absl::string_view bytes : messages) {
    v1::BakeStreamRequest message;
    const bool parsed = ParseWireMessage(bytes, "BakeStream: message", &message).ok();
    if (parsed !=
        v1::BakeStreamRequest().ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      std::abort();
    }
    if (!parsed) return nullptr;
    absl::StatusOr<StreamAssembler::Step> step = assembler->Add(&message, &completed);
    if (!step.ok()) return nullptr;
    if (*step == StreamAssembler::Step::kParseModel) {
      absl::StatusOr<std::unique_ptr<onnx::ModelProto>> assembled = assembler->ParseModel();
      if (!assembled.ok()) return nullptr;
      model = *std::move(assembled);
    }
  }
  if (model == nullptr || !assembler->Finish().ok()) return nullptr;
  return model;
}

}  // namespace qbake::fuzz
