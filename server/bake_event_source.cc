#include "server/bake_event_source.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <utility>

#include "absl/time/clock.h"
#include "core/graph_index.h"
#include "core/linear_kernel.h"
#include "proto/bake_wire.h"

namespace qbake {
namespace {

// The integer type of a spec's LINEAR or DYNAMIC bake.
IntegerType SpecIntegerType(const TensorConfigSpec& spec) {
  TensorQuantConfig config;
  config.policy = spec.policy;
  config.num_of_bits = spec.num_of_bits;
  return IntegerTypeOf(config);
}

v1::IntegerType IntegerTypeToWire(IntegerType type) {
  switch (type) {
    case IntegerType::kInt8:
      return v1::INT8;
    case IntegerType::kUInt8:
      return v1::UINT8;
    case IntegerType::kInt32:
      return v1::INT32;
  }
  return v1::INTEGER_TYPE_UNSPECIFIED;
}

// Fills the fields TensorChunk and IntegerChunk share.
template <typename Chunk>
void FillChunk(const std::string& name, const std::vector<int64_t>& dims, const PayloadBytes& bytes,
               uint64_t offset, size_t n, Chunk* chunk) {
  chunk->set_name(name);
  chunk->mutable_dims()->Assign(dims.begin(), dims.end());
  chunk->set_offset(offset);
  chunk->set_total_bytes(bytes.size());
  bytes.AppendTo(offset, n, chunk->mutable_data());
}

}  // namespace

BakeEventSource::BakeEventSource(BakedModel baked, size_t chunk_bytes, double receive_seconds)
    : baked_(std::move(baked)), chunk_bytes_(chunk_bytes), receive_seconds_(receive_seconds) {
  AddPayloads();
}

void BakeEventSource::AddPayloads() {
  GraphIndex graph(baked_.model->mutable_graph());
  const auto& integers = baked_.session->integers();
  std::vector<Payload> integer_payloads;
  std::set<std::string> seen;
  for (size_t i = 0; i < baked_.specs.size(); ++i) {
    const TensorConfigSpec& spec = baked_.specs[i];
    if (!baked_.outcome.configs[i].baked || !seen.insert(spec.variable).second) continue;
    const onnx::TensorProto& tensor = *graph.FindParameter(spec.variable)->tensor;
    const std::vector<int64_t> dims(tensor.dims().begin(), tensor.dims().end());
    payloads_.push_back({false, spec.variable, tensor.data_type(), dims, TensorBytes(tensor)});
    const auto values = integers.find(spec.variable);
    if (values == integers.end()) continue;
    const IntegerType type = SpecIntegerType(spec);
    integer_payloads.push_back(
        {true, spec.variable, IntegerTypeToWire(type), dims, IntegerBytes(values->second, type)});
  }
  std::move(integer_payloads.begin(), integer_payloads.end(), std::back_inserter(payloads_));
}

bool BakeEventSource::Next(v1::BakeEvent* event) {
  event->Clear();
  if (first_event_ == absl::InfiniteFuture()) first_event_ = absl::Now();
  if (payload_ < payloads_.size()) {
    NextChunk(event);
  } else if (config_ < baked_.specs.size()) {
    *event->mutable_config() =
        ConfigUpdateToWire(config_, baked_.specs[config_], baked_.outcome.configs[config_]);
    ++config_;
  } else if (!summarized_) {
    *event->mutable_summary() = Summary();
    summarized_ = true;
  } else {
    return false;
  }
  return true;
}

void BakeEventSource::NextChunk(v1::BakeEvent* event) {
  const Payload& payload = payloads_[payload_];
  const size_t n =
      static_cast<size_t>(std::min<uint64_t>(chunk_bytes_, payload.bytes.size() - offset_));
  if (payload.integers) {
    v1::IntegerChunk* chunk = event->mutable_integers();
    chunk->set_type(static_cast<v1::IntegerType>(payload.type));
    FillChunk(payload.name, payload.dims, payload.bytes, offset_, n, chunk);
  } else {
    v1::TensorChunk* chunk = event->mutable_tensor();
    chunk->set_data_type(payload.type);
    FillChunk(payload.name, payload.dims, payload.bytes, offset_, n, chunk);
  }
  offset_ += n;
  if (offset_ >= payload.bytes.size()) {
    ++payload_;
    offset_ = 0;
  }
}

v1::BakeSummary BakeEventSource::Summary() const {
  v1::BakeSummary summary = SummaryToWire(baked_.outcome.summary);
  summary.set_receive_seconds(receive_seconds_);
  summary.set_send_seconds(absl::ToDoubleSeconds(absl::Now() - first_event_));
  return summary;
}

}  // namespace qbake
