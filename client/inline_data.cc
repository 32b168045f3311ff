#include "client/inline_data.h"

#include "absl/strings/str_cat.h"
#include "core/error_detail.h"
#include "core/model_tensors.h"

namespace qbake {

absl::Status CheckDataInline(onnx::ModelProto* model, const TensorStore* store) {
  for (const OwnedTensor& owned : CollectModelTensors(model->mutable_graph())) {
    if (owned.tensor->data_location() != onnx::TensorProto::EXTERNAL) continue;
    if (store != nullptr && store->Size(*owned.tensor)) continue;
    return WithReason(absl::InvalidArgumentError(absl::StrCat(
                          "model: ", TensorLabel(owned),
                          ": its data is stored as external data that was not loaded (read the "
                          "model with its external data files first)")),
                      error_reason::kModelInvalid);
  }
  return absl::OkStatus();
}

}  // namespace qbake
