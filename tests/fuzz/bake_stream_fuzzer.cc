// libFuzzer target: the server's handling of one BakeStream call without the network.
// The input is a sequence of messages, each a 2-byte little-endian length and that
// many bytes of a serialized BakeStreamRequest (a final short one takes what is
// left). They are parsed and go through StreamAssembler as the reactor feeds them
// (ParseWireMessage, ParseModel when asked, Finish after the last) under a 1 MiB
// --max-model-bytes, and an assembled bake is baked. ParseWireMessage must accept a
// message exactly when protobuf parses it (else a finding).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/stubs/logging.h"
#include "server/stream_assembler.h"
#include "tests/fuzz/fuzz_model.h"
#include "tests/fuzz/stream_feed.h"

namespace {

// The framed messages of `input`: a 2-byte little-endian length, then that many bytes.
std::vector<absl::string_view> Frames(absl::string_view input) {
  std::vector<absl::string_view> frames;
  while (!input.empty()) {
    size_t length = static_cast<uint8_t>(input[0]);
    if (input.size() > 1) length |= static_cast<size_t>(static_cast<uint8_t>(input[1])) << 8;
    input.remove_prefix(std::min<size_t>(2, input.size()));
    frames.push_back(input.substr(0, length));
    input.remove_prefix(frames.back().size());
  }
  return frames;
}

}  // namespace

// libFuzzer calls this once: protobuf's log line for every string field that is not
// UTF-8 would otherwise slow the fuzzer down and drown its output.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  qbake::StreamAssembler assembler(qbake::fuzz::kFuzzMaxModelBytes);
  const std::unique_ptr<onnx::ModelProto> model = qbake::fuzz::FeedStream(
      Frames(absl::string_view(reinterpret_cast<const char*>(data), size)), &assembler);
  if (model == nullptr) return 0;
  qbake::fuzz::BakeAndRender(model.get(), assembler.TakeSettings().specs, nullptr);
  return 0;
}
