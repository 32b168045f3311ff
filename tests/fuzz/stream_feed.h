// A BakeStream call's messages fed to the server's StreamAssembler as its reactor
// feeds them, without the network: each parsed by ParseWireMessage (which must accept
// exactly what protobuf parses, else the process aborts: a finding), added, the model
// parsed when the assembler asks, under a 1 MiB --max-model-bytes.
#ifndef QBAKE_TESTS_FUZZ_STREAM_FEED_H_
#define QBAKE_TESTS_FUZZ_STREAM_FEED_H_

#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "onnx/onnx_pb.h"
#include "server/stream_assembler.h"

namespace qbake::fuzz {

inline constexpr uint64_t kFuzzMaxModelBytes = uint64_t{1} << 20;

// The assembled model, ready to bake with the assembler's settings (TakeSettings),
// or nullptr when a message, the model or the end of the stream is refused.
std::unique_ptr<onnx::ModelProto> FeedStream(const std::vector<absl::string_view>& messages,
                                             StreamAssembler* assembler);

}  // namespace qbake::fuzz

#endif  // QBAKE_TESTS_FUZZ_STREAM_FEED_H_
