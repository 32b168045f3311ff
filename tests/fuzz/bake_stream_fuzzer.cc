// libFuzzer target: the server's handling of one BakeStream call without the network.
// The input is a sequence of messages, each a 2-byte little-endian length and that
// many bytes of a serialized BakeStreamRequest (a final short one takes what is
// left). They are parsed and go through StreamAssembler as the reactor feeds them
// (ParseWireMessage, ParseModel when asked, Finish after the last) under a 1 MiB
// --max-model-bytes, and an assembled bake is baked. ParseWireMessage must accept a
// message exactly when protobuf parses it (else a finding).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/stubs/logging.h"
#include "qbake/v1/bake.pb.h"
#include "server/stream_assembler.h"
#include "server/wire_message.h"
#include "tests/fuzz/fuzz_model.h"

namespace {

constexpr uint64_t kMaxModelBytes = uint64_t{1} << 20;

// Feeds every message, parsing the model into `model` when asked; false when the
// assembler refuses a message or one does not parse.
bool Feed(absl::string_view input, qbake::StreamAssembler* assembler,
          std::unique_ptr<onnx::ModelProto>* model) {
  std::vector<onnx::TensorProto*> completed;
  while (!input.empty()) {
    size_t length = static_cast<uint8_t>(input[0]);
    if (input.size() > 1) length |= static_cast<size_t>(static_cast<uint8_t>(input[1])) << 8;
    input.remove_prefix(std::min<size_t>(2, input.size()));
    const absl::string_view bytes = input.substr(0, length);
    input.remove_prefix(bytes.size());
    qbake::v1::BakeStreamRequest message;
    const bool parsed = qbake::ParseWireMessage(bytes, "BakeStream: message", &message).ok();
    if (parsed != qbake::v1::BakeStreamRequest().ParseFromArray(bytes.data(),
                                                               static_cast<int>(bytes.size()))) {
      std::abort();
    }
    if (!parsed) return false;
    absl::StatusOr<qbake::StreamAssembler::Step> step = assembler->Add(&message, &completed);
    if (!step.ok()) return false;
    if (*step == qbake::StreamAssembler::Step::kParseModel) {
      absl::StatusOr<std::unique_ptr<onnx::ModelProto>> parsed = assembler->ParseModel();
      if (!parsed.ok()) return false;
      *model = *std::move(parsed);
    }
  }
  return true;
}

}  // namespace

// libFuzzer calls this once: protobuf's log line for every string field that is not
// UTF-8 would otherwise slow the fuzzer down and drown its output.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  qbake::StreamAssembler assembler(kMaxModelBytes);
  std::unique_ptr<onnx::ModelProto> model;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  if (!Feed(input, &assembler, &model) || model == nullptr || !assembler.Finish().ok()) return 0;
  qbake::fuzz::BakeAndRender(model.get(), assembler.TakeSettings().specs, nullptr);
  return 0;
}
