#include "client/externalized_model.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/model_tensors.h"

namespace qbake {

ExternalizedModel::ExternalizedModel(onnx::ModelProto* model, size_t min_external_bytes,
                                     const TensorStore* store)
    : store_(store) {
  for (const OwnedTensor& owned : CollectModelTensors(model->mutable_graph())) {
    onnx::TensorProto* tensor = owned.tensor;
    const std::optional<uint64_t> stored =
        store != nullptr ? store->Size(*tensor) : std::optional<uint64_t>();
    if (stored) {
      Externalize(tensor, true, *stored);
    } else if (tensor->data_location() != onnx::TensorProto::EXTERNAL &&
               tensor->raw_data().size() > min_external_bytes) {
      Externalize(tensor, false, tensor->raw_data().size());
    }
  }
}

ExternalizedModel::~ExternalizedModel() {
  for (size_t i = 0; i < moved_.size(); ++i) {
    onnx::TensorProto* tensor = moved_[i].tensor;
    tensor->mutable_external_data()->Swap(&moved_[i].entries);
    tensor->clear_data_location();
    if (moved_[i].had_data_location) tensor->set_data_location(moved_[i].data_location);
    if (external_[i].stored == nullptr) tensor->mutable_raw_data()->swap(external_[i].bytes);
  }
}

uint64_t ExternalizedModel::external_bytes() const {
  uint64_t total = 0;
  for (const ExternalBytes& external : external_) total += external.size;
  return total;
}

void ExternalizedModel::Externalize(onnx::TensorProto* tensor, bool stored, uint64_t size) {
  Moved& moved =
      moved_.emplace_back(Moved{tensor, tensor->has_data_location(), tensor->data_location(), {}});
  moved.entries.Swap(tensor->mutable_external_data());
  ExternalBytes& external = external_.emplace_back(ExternalBytes{
      absl::StrCat("qbake-stream/", external_.size()), {}, stored ? tensor : nullptr, size});
  if (!stored) {
    external.bytes.swap(*tensor->mutable_raw_data());
    tensor->clear_raw_data();
  }
  tensor->set_data_location(onnx::TensorProto::EXTERNAL);
  for (const auto& [key, value] :
       {std::pair<std::string, std::string>{"location", external.location},
        {"offset", "0"},
        {"length", std::to_string(size)}}) {
    onnx::StringStringEntryProto* entry = tensor->add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  }
}

}  // namespace qbake
