// libFuzzer target, structure-aware: the input is a serialized qbake.v1.BakeRequest
// (a model and its configs), mutated by structured_mutator.h as hostile requests are
// (dims, data types, storage, external-data entries, Constant nodes, config numbers
// at float32 extremes). It is sent as a BakeStream client sends it (tensors of 64
// bytes or more as external data, in pieces that cross tensors) through the server's
// real stream assembly (stream_feed.h), then baked and its outcomes rendered.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/stubs/logging.h"
#include "qbake/v1/bake.pb.h"
#include "server/stream_assembler.h"
#include "tests/fuzz/bake_request_input.h"
#include "tests/fuzz/fuzz_model.h"
#include "tests/fuzz/stream_feed.h"
#include "tests/support/stream_requests.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::optional<qbake::fuzz::BakeRequestInput> input =
      qbake::fuzz::ReadBakeRequestInput(data, size);
  if (!input) return 0;
  qbake::testing::StreamLayout layout;
  layout.model_piece = 1000;
  layout.external_piece = 97;
  layout.external_min_bytes = 64;
  std::vector<std::string> messages;
  for (const qbake::v1::BakeStreamRequest& message : qbake::testing::StreamRequests(
           input->model, input->settings.specs, input->request.options(), layout)) {
    messages.push_back(message.SerializeAsString());
  }
  qbake::StreamAssembler assembler(qbake::fuzz::kFuzzMaxModelBytes);
  const std::unique_ptr<onnx::ModelProto> assembled = qbake::fuzz::FeedStream(
      std::vector<absl::string_view>(messages.begin(), messages.end()), &assembler);
  if (assembled == nullptr) return 0;
  qbake::fuzz::BakeAndRender(assembled.get(), assembler.TakeSettings().specs, nullptr);
  return 0;
}
