// Writes a seed for bake_stream_fuzzer: the BakeStream call that bakes a case of
// tests/data (its model.onnx with its ppq_config.json), framed as the fuzzer reads
// it: each message a 2-byte little-endian length and its bytes.
// Usage: bake_stream_seed CASE_DIR OUT_FILE
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "core/ppq_config_document.h"
#include "proto/bake_wire.h"
#include "qbake/v1/bake.pb.h"

namespace {

constexpr size_t kMaxFrame = 0xffff;
constexpr size_t kModelChunk = 60000;  // leaves room for the message's own framing

std::string ReadAll(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Appends `message` framed; false when it does not fit a frame.
bool AppendFramed(const qbake::v1::BakeStreamRequest& message, std::string* out) {
  const std::string bytes = message.SerializeAsString();
  if (bytes.size() > kMaxFrame) return false;
  out->push_back(static_cast<char>(bytes.size() & 0xff));
  out->push_back(static_cast<char>(bytes.size() >> 8));
  out->append(bytes);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bake_stream_seed CASE_DIR OUT_FILE\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::string model = ReadAll(dir + "/model.onnx");
  absl::StatusOr<qbake::PpqConfigDocument> config =
      qbake::PpqConfigDocument::Parse(ReadAll(dir + "/ppq_config.json"));
  if (model.empty() || !config.ok()) {
    std::fprintf(stderr, "bake_stream_seed: cannot read the case in %s\n", dir.c_str());
    return 1;
  }
  qbake::v1::BakeStreamRequest header;
  for (const qbake::TensorConfigSpec& spec : config->specs()) {
    *header.mutable_header()->add_configs() = qbake::SpecToWire(spec);
  }
  header.mutable_header()->set_model_bytes(model.size());
  std::string seed;
  bool fits = AppendFramed(header, &seed);
  for (size_t at = 0; fits && at < model.size(); at += kModelChunk) {
    qbake::v1::BakeStreamRequest chunk;
    chunk.set_model_data(model.substr(at, kModelChunk));
    fits = AppendFramed(chunk, &seed);
  }
  if (!fits) {
    std::fprintf(stderr, "bake_stream_seed: a message is larger than a frame\n");
    return 1;
  }
  std::ofstream(argv[2], std::ios::binary) << seed;
  return 0;
}
