#include "server/bake_event_queue.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "core/error_detail.h"
#include "core/integer_type.h"
#include "proto/bake_wire.h"
#include "proto/export_wire.h"

namespace qbake {
namespace {

// Fills the fields every chunk has: bytes [offset, offset + n) of the payload.
template <typename Chunk>
void FillSlice(const PayloadBytes& bytes, uint64_t offset, size_t n, Chunk* chunk) {
  chunk->set_offset(offset);
  chunk->set_total_bytes(bytes.size());
  bytes.AppendTo(offset, n, chunk->mutable_data());
}

// Fills the fields TensorChunk and IntegerChunk share.
template <typename Chunk>
void FillChunk(const std::string& name, const std::vector<int64_t>& dims, const PayloadBytes& bytes,
               uint64_t offset, size_t n, Chunk* chunk) {
  chunk->set_name(name);
  chunk->mutable_dims()->Assign(dims.begin(), dims.end());
  FillSlice(bytes, offset, n, chunk);
}

}  // namespace

void BakeEventQueue::AddParameter(const std::string& name, IntegerType integer_type,
                                  onnx::TensorProto* tensor, std::vector<int32_t> integers) {
  std::vector<int64_t> dims(tensor->dims().begin(), tensor->dims().end());
  Queue({Kind::kTensor, name, tensor->data_type(), dims, TakeTensorBytes(tensor)});
  AddIntegers(name, integer_type, dims, std::move(integers));
}

void BakeEventQueue::AddParameterInPlace(const std::string& name, IntegerType integer_type,
                                         const onnx::TensorProto& tensor,
                                         std::vector<int32_t> integers) {
  AddIntegers(name, integer_type, std::vector<int64_t>(tensor.dims().begin(), tensor.dims().end()),
              std::move(integers));
}

void BakeEventQueue::AddIntegers(const std::string& name, IntegerType integer_type,
                                 const std::vector<int64_t>& dims, std::vector<int32_t> integers) {
  ++parameters_;
  if (integers.empty()) return;
  Queue({Kind::kIntegers, name, IntegerTypeToWire(integer_type), dims,
         IntegerBytes(std::move(integers), integer_type)});
}

absl::Status BakeEventQueue::AddExport(const QdqExportReport& report, onnx::ModelProto* model) {
  std::vector<onnx::TensorProto*> large;
  for (onnx::TensorProto& tensor : *model->mutable_graph()->mutable_initializer()) {
    if (tensor.raw_data().size() >= kExportedTensorMinBytes) large.push_back(&tensor);
  }
  // Set aside while the rest is serialized, then taken into the queue.
  std::vector<std::string> set_aside(large.size());
  for (size_t i = 0; i < large.size(); ++i) {
    set_aside[i].swap(*large[i]->mutable_raw_data());
    large[i]->clear_raw_data();
  }
  std::string skeleton;
  if (!model->SerializeToString(&skeleton)) {
    for (size_t i = 0; i < large.size(); ++i) large[i]->mutable_raw_data()->swap(set_aside[i]);
    return WithReason(absl::InvalidArgumentError("cannot send the exported model: without its "
                                                 "large initializers it still exceeds 2 GiB"),
                      error_reason::kModelTooLarge);
  }
  export_report_ = ExportReportToWire(report);
  Queue({Kind::kReport, "", 0, {}, PayloadBytes(0, nullptr)});
  Queue({Kind::kModel, "", 0, {}, OwnedBytes(std::move(skeleton))});
  for (size_t i = 0; i < large.size(); ++i) {
    std::vector<int64_t> dims(large[i]->dims().begin(), large[i]->dims().end());
    Queue({Kind::kExportedTensor, large[i]->name(), large[i]->data_type(), std::move(dims),
           OwnedBytes(std::move(set_aside[i]))});
  }
  return absl::OkStatus();
}

void BakeEventQueue::Queue(Payload payload) {
  queued_bytes_ += payload.bytes.size();
  payloads_.push_back(std::move(payload));
}

void BakeEventQueue::Close(const std::vector<TensorConfigSpec>* specs,
                           const PpqConfigDocument* document, BakeOutcome outcome,
                           double receive_seconds) {
  if (document != nullptr) {
    Queue({Kind::kConfigDocument, "", 0, {}, OwnedBytes(document->Render(outcome.configs))});
  }
  specs_ = specs;
  outcome_ = std::move(outcome);
  receive_seconds_ = receive_seconds;
}

bool BakeEventQueue::Next(v1::BakeEvent* event) {
  event->Clear();
  if (payloads_.empty() && (specs_ == nullptr || summarized_)) return false;
  if (first_event_ == absl::InfiniteFuture()) first_event_ = absl::Now();
  if (!payloads_.empty()) {
    NextChunk(event);
  } else if (config_ < specs_->size()) {
    *event->mutable_config() =
        ConfigUpdateToWire(config_, (*specs_)[config_], outcome_.configs[config_]);
    ++config_;
  } else {
    *event->mutable_summary() = Summary();
    summarized_ = true;
  }
  return true;
}

void BakeEventQueue::NextChunk(v1::BakeEvent* event) {
  const Payload& payload = payloads_.front();
  const size_t n =
      static_cast<size_t>(std::min<uint64_t>(chunk_bytes_, payload.bytes.size() - offset_));
  switch (payload.kind) {
    case Kind::kTensor:
    case Kind::kExportedTensor: {
      v1::TensorChunk* chunk = payload.kind == Kind::kTensor ? event->mutable_tensor()
                                                             : event->mutable_exported_tensor();
      chunk->set_data_type(payload.type);
      FillChunk(payload.name, payload.dims, payload.bytes, offset_, n, chunk);
      break;
    }
    case Kind::kIntegers: {
      v1::IntegerChunk* chunk = event->mutable_integers();
      chunk->set_type(static_cast<v1::IntegerType>(payload.type));
      FillChunk(payload.name, payload.dims, payload.bytes, offset_, n, chunk);
      break;
    }
    case Kind::kReport:
      *event->mutable_export_report() = std::move(*export_report_);
      break;
    case Kind::kModel:
      FillSlice(payload.bytes, offset_, n, event->mutable_model());
      break;
    case Kind::kConfigDocument:
      FillSlice(payload.bytes, offset_, n, event->mutable_config_document());
      break;
  }
  offset_ += n;
  queued_bytes_ -= n;
  if (offset_ >= payload.bytes.size()) {
    payloads_.pop_front();
    offset_ = 0;
  }
}

v1::BakeSummary BakeEventQueue::Summary() const {
  v1::BakeSummary summary = SummaryToWire(outcome_.summary);
  summary.set_receive_seconds(receive_seconds_);
  summary.set_send_seconds(absl::ToDoubleSeconds(absl::Now() - first_event_));
  return summary;
}

}  // namespace qbake
