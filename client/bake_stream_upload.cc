#include "client/bake_stream_upload.h"

#include <algorithm>

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

// Calls write(offset, length) for consecutive slices of `bytes` of at most
// kStreamChunkBytes, while it returns true.
template <typename Write>
bool ForEachSlice(const std::string& bytes, Write write) {
  for (size_t offset = 0; offset < bytes.size(); offset += kStreamChunkBytes) {
    if (!write(offset, std::min(kStreamChunkBytes, bytes.size() - offset))) return false;
  }
  return true;
}

bool WriteModel(const std::string& model, UploadWriter* writer) {
  v1::BakeStreamRequest message;
  return ForEachSlice(model, [&](size_t offset, size_t length) {
    message.set_model_data(model.data() + offset, length);
    return writer->Write(message, length);
  });
}

bool WriteExternal(const ExternalizedModel::ExternalBytes& external, UploadWriter* writer) {
  v1::BakeStreamRequest message;
  v1::ExternalDataChunk* chunk = message.mutable_external_data();
  chunk->set_location(external.location);
  return ForEachSlice(external.bytes, [&](size_t offset, size_t length) {
    chunk->set_offset(offset);
    chunk->set_data(external.bytes.data() + offset, length);
    return writer->Write(message, length);
  });
}

}  // namespace

void WriteBakeStream(const BakeStreamUpload& upload, BakeStreamWriter* stream,
                     const std::function<void(int64_t, int64_t)>& progress) {
  UploadWriter writer(stream, upload.payload_bytes(), progress);
  v1::BakeStreamRequest header;
  *header.mutable_header() = upload.header;
  header.mutable_header()->set_model_bytes(upload.model.size());
  if (!writer.Write(header, 0) || !WriteModel(upload.model, &writer)) return;
  for (const ExternalizedModel::ExternalBytes& external : upload.external->external()) {
    if (!WriteExternal(external, &writer)) return;
  }
  stream->WritesDone();
}

}  // namespace qbake
