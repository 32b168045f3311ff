// Turns the events of one Bake or BakeStream reply into what a local bake returns:
// the baked tensors go into the model, the ConfigUpdates become ConfigOutcomes
// index-aligned with the specs, and the summary becomes the BakeSummary. Events
// are checked as they come; the model changes only in Finish, and only when the
// whole reply is sound.
#ifndef QBAKE_CLIENT_BAKE_EVENT_COLLECTOR_H_
#define QBAKE_CLIENT_BAKE_EVENT_COLLECTOR_H_

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "client/baked_tensor_assembly.h"
#include "core/bake_outcome.h"
#include "core/config_spec.h"
#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.pb.h"

namespace qbake {

class BakeEventCollector {
 public:
  // `model` and `specs` (the bake's, in request order) must outlive the collector;
  // the model keeps its structure meanwhile.
  BakeEventCollector(onnx::ModelProto* model, absl::Span<const TensorConfigSpec> specs)
      : tensors_(model), specs_(specs), configs_(specs.size()) {}

  // INTERNAL (see MalformedReply) for an event that breaks the protocol: a bad
  // TensorChunk (see BakedTensorAssembly::Add); a ConfigUpdate whose index is out
  // of range or repeats, or whose operation and variable are not its spec's; an
  // event after the summary, or an empty one. IntegerChunks are ignored.
  absl::Status Add(const v1::BakeEvent& event);

  // Once the reply has ended without error. INTERNAL, with the model unchanged,
  // when the summary or a ConfigUpdate is missing or a summarized parameter did not
  // arrive whole; else the model holds the baked tensors.
  absl::StatusOr<BakeOutcome> Finish();

 private:
  absl::Status AddConfig(const v1::ConfigUpdate& update);
  absl::Status AddSummary(const v1::BakeSummary& summary);
  absl::Status CheckComplete() const;

  BakedTensorAssembly tensors_;
  absl::Span<const TensorConfigSpec> specs_;
  std::vector<std::optional<ConfigOutcome>> configs_;  // index-aligned with specs_
  std::optional<BakeSummary> summary_;
};

}  // namespace qbake

#endif  // QBAKE_CLIENT_BAKE_EVENT_COLLECTOR_H_
