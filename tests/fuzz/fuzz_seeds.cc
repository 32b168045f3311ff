// Writes the seeds the fuzz targets start from, derived from their bundled case:
//   OUT_DIR/model.onnx       the shrunk bundled model (onnx_model_fuzzer);
//   OUT_DIR/model-opset11.onnx  the same declaring opset 11, so that its QDQ export
//                            meets ONNX's version converter (onnx_model_fuzzer);
//   OUT_DIR/bake_stream.bin  the BakeStream call baking it with the bundled config,
//                            framed as bake_stream_fuzzer reads it: each message a
//                            2-byte little-endian length and its bytes;
//   OUT_DIR/bake_request.bin the same as one BakeRequest (structured_bake_fuzzer,
//                            differential_bake_fuzzer);
//   OUT_DIR/config-N.json    for each CONFIG (a PPQ config document for the bundled
//                            model) and each of its operations, a document of that
//                            operation alone (config_document_fuzzer): small seeds
//                            make fast fuzzing, whole documents take milliseconds.
// Usage: fuzz_seeds OUT_DIR CONFIG...
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "proto/bake_wire.h"
#include "qbake/v1/bake.pb.h"
#include "tests/fuzz/fuzz_model.h"

namespace {

constexpr size_t kMaxFrame = 0xffff;
constexpr size_t kModelChunk = 60000;  // leaves room for the message's own framing

// Appends `message` framed; false when it does not fit a frame.
bool AppendFramed(const qbake::v1::BakeStreamRequest& message, std::string* out) {
  const std::string bytes = message.SerializeAsString();
  if (bytes.size() > kMaxFrame) return false;
  out->push_back(static_cast<char>(bytes.size() & 0xff));
  out->push_back(static_cast<char>(bytes.size() >> 8));
  out->append(bytes);
  return true;
}

bool WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream file(path, std::ios::binary);
  return static_cast<bool>(file << bytes);
}

// Each operation of the PPQ config document `text` as a document of its own: its
// configs, its dispatching and the "values" entries they name.
std::vector<std::string> OperationDocuments(const std::string& text) {
  using nlohmann::ordered_json;
  const ordered_json document = ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> documents;
  if (!document.is_object() || !document.contains("configs")) return documents;
  for (const auto& [operation, configs] : document["configs"].items()) {
    ordered_json single = {{"configs", {{operation, configs}}}, {"values", ordered_json::object()}};
    if (document.contains("dispatchings") && document["dispatchings"].contains(operation)) {
      single["dispatchings"] = {{operation, document["dispatchings"][operation]}};
    }
    for (const auto& [variable, config] : configs.items()) {
      for (const char* key : {"hash", "dominator"}) {
        if (!config.contains(key)) continue;
        const std::string name = config[key].dump();
        if (document["values"].contains(name)) single["values"][name] = document["values"][name];
      }
    }
    documents.push_back(single.dump());
  }
  return documents;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fuzz_seeds OUT_DIR CONFIG...\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::string model = qbake::fuzz::BundledModel().SerializeAsString();
  onnx::ModelProto opset11 = qbake::fuzz::BundledModel();
  opset11.mutable_opset_import(0)->set_version(11);
  qbake::v1::BakeStreamRequest header;
  for (const qbake::TensorConfigSpec& spec : qbake::fuzz::BundledConfig().specs()) {
    *header.mutable_header()->add_configs() = qbake::SpecToWire(spec);
  }
  header.mutable_header()->set_model_bytes(model.size());
  qbake::v1::BakeRequest request;
  request.set_model(model);
  *request.mutable_configs() = header.header().configs();
  std::string seed;
  bool fits = AppendFramed(header, &seed);
  for (size_t at = 0; fits && at < model.size(); at += kModelChunk) {
    qbake::v1::BakeStreamRequest chunk;
    chunk.set_model_data(model.substr(at, kModelChunk));
    fits = AppendFramed(chunk, &seed);
  }
  if (!fits) {
    std::fprintf(stderr, "fuzz_seeds: a message is larger than a frame\n");
    return 1;
  }
  bool written = WriteFile(dir + "/model.onnx", model) &&
                 WriteFile(dir + "/model-opset11.onnx", opset11.SerializeAsString()) &&
                 WriteFile(dir + "/bake_stream.bin", seed) &&
                 WriteFile(dir + "/bake_request.bin", request.SerializeAsString());
  int count = 0;
  for (int i = 2; i < argc; ++i) {
    std::ifstream file(argv[i], std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    for (const std::string& document : OperationDocuments(text.str())) {
      written =
          written && WriteFile(dir + "/config-" + std::to_string(++count) + ".json", document);
    }
  }
  if (!written || count == 0) {
    std::fprintf(stderr, "fuzz_seeds: cannot write the seeds into %s\n", dir.c_str());
    return 1;
  }
  return 0;
}
