#include "client/bake_stream_upload.h"

#include <algorithm>
#include <string>

#include "absl/types/span.h"

namespace qbake {
namespace {

// Sends one message at a time and reports the payload sent so far.
class UploadWriter {
 public:
  UploadWriter(BakeStreamWriter* stream, uint64_t total_bytes,
               const std::function<void(int64_t, int64_t)>& progress)
      : stream_(stream), total_bytes_(total_bytes), progress_(progress) {}

  bool Write(const v1::BakeStreamRequest& message, size_t payload_bytes) {
    if (!stream_->Write(message)) return false;
    sent_bytes_ += payload_bytes;
    if (progress_) {
      progress_(static_cast<int64_t>(sent_bytes_), static_cast<int64_t>(total_bytes_));
    }
    return true;
  }

 private:
  BakeStreamWriter* stream_;
  const uint64_t total_bytes_;
  const std::function<void(int64_t, int64_t)>& progress_;
  uint64_t sent_bytes_ = 0;
};

// Calls write(offset, length) for consecutive slices of `size` bytes of at most
// kStreamChunkBytes, while it returns true.
template <typename Write>
bool ForEachSlice(uint64_t size, Write write) {
  for (uint64_t offset = 0; offset < size; offset += kStreamChunkBytes) {
    if (!write(offset, std::min<uint64_t>(kStreamChunkBytes, size - offset))) return false;
  }
  return true;
}

bool WriteModel(const std::string& model, UploadWriter* writer) {
  v1::BakeStreamRequest message;
  return ForEachSlice(model.size(), [&](uint64_t offset, size_t length) {
    message.set_model_data(model.data() + offset, length);
    return writer->Write(message, length);
  });
}

// Sends one externalized tensor, its bytes read from `store` when it holds them
// (a failed read goes into `read`).
bool WriteExternal(const ExternalizedModel::ExternalBytes& external, const TensorStore* store,
                   UploadWriter* writer, absl::Status* read) {
  v1::BakeStreamRequest message;
  v1::ExternalDataChunk* chunk = message.mutable_external_data();
  chunk->set_location(external.location);
  return ForEachSlice(external.size, [&](uint64_t offset, size_t length) {
    chunk->set_offset(offset);
    if (external.stored == nullptr) {
      chunk->set_data(external.bytes.data() + offset, length);
    } else {
      std::string* data = chunk->mutable_data();
      data->resize(length);
      *read = store->Read(*external.stored, offset, absl::MakeSpan(data->data(), length));
      if (!read->ok()) return false;
    }
    return writer->Write(message, length);
  });
}

}  // namespace

absl::Status WriteBakeStream(const BakeStreamUpload& upload, BakeStreamWriter* stream,
                             const std::function<void(int64_t, int64_t)>& progress) {
  UploadWriter writer(stream, upload.payload_bytes(), progress);
  v1::BakeStreamRequest header;
  *header.mutable_header() = upload.header;
  header.mutable_header()->set_model_bytes(upload.model.size());
  if (!writer.Write(header, 0) || !WriteModel(upload.model, &writer)) return absl::OkStatus();
  absl::Status read;
  for (const ExternalizedModel::ExternalBytes& external : upload.external->external()) {
    if (!WriteExternal(external, upload.external->store(), &writer, &read)) return read;
  }
  stream->WritesDone();
  return absl::OkStatus();
}

}  // namespace qbake
