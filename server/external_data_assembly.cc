#include "server/external_data_assembly.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/error_detail.h"
#include "core/external_data_info.h"
#include "core/huge_pages.h"
#include "core/model_tensors.h"
#include "server/request_model.h"

namespace qbake {
namespace {

struct Declared {
  onnx::TensorProto* tensor = nullptr;
  std::string label;  // "tensor 'W'"
  std::string location;
  uint64_t offset = 0;
  uint64_t length = 0;
};

absl::Status TensorError(const Declared& declared, absl::string_view message) {
  return WithReason(
      absl::InvalidArgumentError(absl::StrCat("model: ", declared.label, ": ", message)),
      error_reason::kModelInvalid);
}

// The tensor's location, offset and length entries; a stream must declare the length.
absl::StatusOr<Declared> Declare(const OwnedTensor& owned) {
  Declared declared;
  declared.tensor = owned.tensor;
  declared.label = TensorLabel(owned);
  absl::StatusOr<ExternalDataInfo> info = ReadExternalDataInfo(*owned.tensor);
  if (!info.ok()) return TensorError(declared, info.status().message());
  if (!info->length) return TensorError(declared, "external data has no 'length'");
  declared.location = info->location;
  declared.offset = static_cast<uint64_t>(info->offset);
  declared.length = static_cast<uint64_t>(*info->length);
  return declared;
}

absl::StatusOr<std::vector<Declared>> DeclareAll(onnx::ModelProto* model, uint64_t model_bytes,
                                                 uint64_t max_bytes) {
  std::vector<Declared> all;
  uint64_t total = model_bytes;
  for (const OwnedTensor& owned : CollectModelTensors(model->mutable_graph())) {
    if (owned.tensor->data_location() != onnx::TensorProto::EXTERNAL) continue;
    absl::StatusOr<Declared> declared = Declare(owned);
    if (!declared.ok()) return declared.status();
    total = declared->length > std::numeric_limits<uint64_t>::max() - total
                ? std::numeric_limits<uint64_t>::max()
                : total + declared->length;
    all.push_back(*std::move(declared));
  }
  absl::Status within = CheckModelBytes(total, max_bytes);
  if (!within.ok()) return within;
  return all;
}

void MakeInline(onnx::TensorProto* tensor) {
  tensor->set_data_location(onnx::TensorProto::DEFAULT);
  tensor->clear_external_data();
}

std::string BytesText(uint64_t begin, uint64_t end, absl::string_view location) {
  return absl::StrCat("bytes [", begin, ", ", end, ") of location '", location, "'");
}

}  // namespace

absl::StatusOr<ExternalDataAssembly> ExternalDataAssembly::Create(onnx::ModelProto* model,
                                                                  uint64_t model_bytes,
                                                                  uint64_t max_bytes) {
  absl::StatusOr<std::vector<Declared>> all = DeclareAll(model, model_bytes, max_bytes);
  if (!all.ok()) return all.status();
  ExternalDataAssembly assembly;
  for (const Declared& declared : *all) {
    declared.tensor->clear_raw_data();
    Location& location = assembly.locations_[declared.location];
    const uint64_t end = declared.offset + declared.length;
    location.ranges.push_back({declared.offset, end, declared.tensor, declared.label, {}});
    location.longest = std::max(location.longest, declared.length);
    location.declared.Insert(declared.offset, end);
  }
  for (const Declared& declared : *all) {
    if (declared.length == 0) MakeInline(declared.tensor);
  }
  for (auto& [name, location] : assembly.locations_) {
    std::stable_sort(location.ranges.begin(), location.ranges.end(),
                     [](const Range& a, const Range& b) { return a.begin < b.begin; });
    absl::Status disjoint = CheckDisjoint(name, location.ranges);
    if (!disjoint.ok()) return disjoint;
  }
  return assembly;
}

absl::Status ExternalDataAssembly::CheckDisjoint(absl::string_view location,
                                                 const std::vector<Range>& ranges) {
  const Range* reaching = nullptr;  // the range ending last so far
  for (const Range& range : ranges) {
    if (range.begin == range.end) continue;
    if (reaching != nullptr && range.begin < reaching->end) {
      return WithReason(absl::InvalidArgumentError(absl::StrCat(
                            "model: ", range.label, ": external data ",
                            BytesText(range.begin, range.end, location), " overlap those of ",
                            reaching->label, " ([", reaching->begin, ", ", reaching->end,
                            ")); each tensor needs bytes of its own")),
                        error_reason::kModelInvalid);
    }
    if (reaching == nullptr || range.end > reaching->end) reaching = &range;
  }
  return absl::OkStatus();
}

absl::Status ExternalDataAssembly::Add(absl::string_view location, uint64_t offset,
                                       absl::string_view data) {
  const auto found = locations_.find(location);
  if (found == locations_.end()) {
    return absl::InvalidArgumentError(absl::StrCat("external_data: location '", location,
                                                   "' is not used by any tensor of the model"));
  }
  if (offset > std::numeric_limits<uint64_t>::max() - data.size()) {
    return absl::InvalidArgumentError("external_data: offset + size overflows");
  }
  const uint64_t end = offset + data.size();
  Location& target = found->second;
  if (!target.declared.Contains(offset, end)) {
    return absl::InvalidArgumentError(
        absl::StrCat("external_data: ", BytesText(offset, end, location),
                     " are outside every tensor stored there"));
  }
  if (target.given.Intersects(offset, end)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "external_data: ", BytesText(offset, end, location), " overlap bytes sent before"));
  }
  target.given.Insert(offset, end);
  return Copy(target, offset, data);
}

absl::Status ExternalDataAssembly::Copy(Location& location, uint64_t offset,
                                        absl::string_view data) {
  const uint64_t end = offset + data.size();
  const uint64_t earliest = offset > location.longest ? offset - location.longest : 0;
  auto range = std::lower_bound(location.ranges.begin(), location.ranges.end(), earliest,
                                [](const Range& r, uint64_t begin) { return r.begin < begin; });
  for (; range != location.ranges.end() && range->begin < end; ++range) {
    const uint64_t from = std::max(offset, range->begin);
    const uint64_t to = std::min(end, range->end);
    if (from >= to) continue;
    try {
      Place(*range, from - range->begin, data.substr(from - offset, to - from));
    } catch (const std::exception&) {  // bad_alloc, or length_error past max_size()
      return WithReason(
          absl::ResourceExhaustedError(absl::StrCat("model: ", range->label, ": no memory for its ",
                                                    range->end - range->begin, " bytes")),
          error_reason::kOutOfMemory);
    }
    if (range->tensor->raw_data().size() == range->end - range->begin) Complete(*range);
  }
  return absl::OkStatus();
}

// Resident memory follows the bytes received: the full length is only reserved
// (address space, not touched), the bytes are appended in order, and bytes that
// come before those preceding them wait aside until those are in.
void ExternalDataAssembly::Place(Range& range, uint64_t at, absl::string_view piece) {
  std::string* raw = range.tensor->mutable_raw_data();
  if (raw->capacity() < range.end - range.begin) ReserveOnHugePages(raw, range.end - range.begin);
  if (at != raw->size()) {
    range.ahead.emplace(at, std::string(piece));
    return;
  }
  raw->append(piece.data(), piece.size());
  for (auto next = range.ahead.begin(); next != range.ahead.end() && next->first == raw->size();
       next = range.ahead.erase(next)) {
    raw->append(next->second);
  }
}

void ExternalDataAssembly::Complete(const Range& range) {
  MakeInline(range.tensor);
  completed_.push_back(range.tensor);
}

std::vector<onnx::TensorProto*> ExternalDataAssembly::TakeCompleted() {
  std::vector<onnx::TensorProto*> completed;
  completed.swap(completed_);
  return completed;
}

absl::Status ExternalDataAssembly::Finish() const {
  for (const auto& [name, location] : locations_) {
    for (const Range& range : location.ranges) {
      const std::optional<uint64_t> gap = location.given.FirstGap(range.begin, range.end);
      if (gap.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat("external_data: ", range.label, " stores ",
                                                       BytesText(range.begin, range.end, name),
                                                       "; byte ", *gap, " was never sent"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace qbake
