#include "tests/support/stream_requests.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "proto/bake_wire.h"

namespace qbake::testing {
namespace {

void AddEntry(onnx::TensorProto* tensor, const std::string& key, const std::string& value) {
  onnx::StringStringEntryProto* entry = tensor->add_external_data();
  entry->set_key(key);
  entry->set_value(value);
}

}  // namespace

std::string MoveToExternalData(onnx::ModelProto* model, uint64_t min_bytes) {
  std::string blob;
  for (onnx::TensorProto& tensor : *model->mutable_graph()->mutable_initializer()) {
    if (!tensor.has_raw_data() || tensor.raw_data().size() < min_bytes) continue;
    AddEntry(&tensor, "location", kBlobLocation);
    AddEntry(&tensor, "offset", absl::StrCat(blob.size()));
    AddEntry(&tensor, "length", absl::StrCat(tensor.raw_data().size()));
    blob += tensor.raw_data();
    tensor.clear_raw_data();
    tensor.set_data_location(onnx::TensorProto::EXTERNAL);
  }
  return blob;
}

v1::BakeStreamRequest HeaderRequest(const std::vector<TensorConfigSpec>& specs,
                                    const v1::BakeOptions& options, uint64_t model_bytes) {
  v1::BakeStreamRequest request;
  v1::BakeStreamHeader* header = request.mutable_header();
  for (const TensorConfigSpec& spec : specs) *header->add_configs() = SpecToWire(spec);
  *header->mutable_options() = options;
  header->set_model_bytes(model_bytes);
  return request;
}

v1::BakeStreamRequest ExternalRequest(const std::string& location, uint64_t offset,
                                      std::string data) {
  v1::BakeStreamRequest request;
  v1::ExternalDataChunk* chunk = request.mutable_external_data();
  chunk->set_location(location);
  chunk->set_offset(offset);
  chunk->set_data(std::move(data));
  return request;
}

std::function<bool(v1::BakeStreamRequest*)> BlobStream(
    std::vector<TensorConfigSpec> specs, std::string model, uint64_t external_bytes,
    size_t piece_bytes, std::function<std::string(uint64_t offset, size_t n)> piece) {
  int made = 0;  // messages made so far
  uint64_t sent = 0;
  return [=](v1::BakeStreamRequest* request) mutable {
    if (made++ == 0) {
      *request = HeaderRequest(specs, {}, model.size());
    } else if (made == 2) {
      request->set_model_data(model);
    } else if (sent < external_bytes) {
      *request = ExternalRequest(kBlobLocation, sent, piece(sent, piece_bytes));
      sent += piece_bytes;
    } else {
      return false;
    }
    return true;
  };
}

std::vector<v1::BakeStreamRequest> StreamRequests(onnx::ModelProto model,
                                                  const std::vector<TensorConfigSpec>& specs,
                                                  const v1::BakeOptions& options,
                                                  const StreamLayout& layout) {
  const std::string blob = MoveToExternalData(&model, layout.external_min_bytes);
  const std::string bytes = model.SerializeAsString();
  std::vector<v1::BakeStreamRequest> requests = {HeaderRequest(specs, options, bytes.size())};
  for (size_t at = 0; at < bytes.size(); at += layout.model_piece) {
    requests.emplace_back().set_model_data(bytes.substr(at, layout.model_piece));
  }
  for (size_t at = 0; at < blob.size(); at += layout.external_piece) {
    requests.push_back(ExternalRequest(kBlobLocation, at, blob.substr(at, layout.external_piece)));
  }
  return requests;
}

}  // namespace qbake::testing
