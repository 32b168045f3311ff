// What every ModelBaker asks of the model it is given: each tensor holds its data in
// the model. ReadModelFile loads a file's external data into raw_data; a tensor still
// stored as EXTERNAL was never loaded, so a local bake would read whatever raw_data
// it kept while the server would look for its bytes in the stream (the differential
// fuzzer found the two answers apart).
#ifndef QBAKE_CLIENT_INLINE_DATA_H_
#define QBAKE_CLIENT_INLINE_DATA_H_

#include "absl/status/status.h"
#include "client/tensor_store.h"
#include "onnx/onnx_pb.h"

namespace qbake {

// INVALID_ARGUMENT naming the first tensor of `model` (any graph, attribute or sparse
// tensor) whose data_location is EXTERNAL and that `store` (when given) does not
// hold; `model` is not changed.
absl::Status CheckDataInline(onnx::ModelProto* model, const TensorStore* store = nullptr);

}  // namespace qbake

#endif  // QBAKE_CLIENT_INLINE_DATA_H_
