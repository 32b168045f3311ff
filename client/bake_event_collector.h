// Turns the events of one Bake or BakeStream reply into what a local bake returns:
// the baked tensors go into the model (or, for a request that asked for an export,
// the exported model replaces it, and its report is kept), the ConfigUpdates become
// ConfigOutcomes index-aligned with the specs, and the summary becomes the
// BakeSummary. The server
// is not trusted: every event is checked against the request, as the core would
// answer it (see BakeSession), as it comes, and the summary once the reply has
// ended. The model changes only in Finish, and only when the whole reply is sound;
// a TensorStore's tensors are written as they come, whatever follows.
#ifndef QBAKE_CLIENT_BAKE_EVENT_COLLECTOR_H_
#define QBAKE_CLIENT_BAKE_EVENT_COLLECTOR_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "client/baked_tensor_assembly.h"
#include "client/exported_model_assembly.h"
#include "core/bake_outcome.h"
#include "core/config_spec.h"
#include "core/qdq_export.h"
#include "onnx/onnx_pb.h"
#include "qbake/v1/bake.pb.h"

namespace qbake {

class BakeEventCollector {
 public:
  // `model` and `specs` (the bake's, in request order) must outlive the collector;
  // the model keeps its structure meanwhile. The request must not ask for integers
  // (RemoteModelBaker never does); `exported`: it asked for an export.
  // `store`, when given (and outliving the collector), receives the baked bytes of
  // the tensors it holds as they come (see BakedTensorAssembly).
  BakeEventCollector(onnx::ModelProto* model, absl::Span<const TensorConfigSpec> specs,
                     bool exported = false, const TensorStore* store = nullptr)
      : model_(model),
        tensors_(model, specs, store),
        specs_(specs),
        configs_(specs.size()),
        exported_(exported) {}

  // INTERNAL (see MalformedReply) for an event that breaks the protocol or does not
  // answer the request:
  // - a bad TensorChunk (see BakedTensorAssembly::Add), such as one for a parameter
  //   no config bakes;
  // - an IntegerChunk, which the request did not ask for;
  // - a ConfigUpdate whose index is out of range or repeats; whose operation,
  //   variable or state before are not its spec's; that says baked for a spec that
  //   does not bake (see BakedTensorAssembly::Bakes) or not for one that does; whose
  //   state after is not the spec's state (not baked) or BakedState of it (baked);
  //   that carries a scale, zero_point or scale_derived without a bake; or, baked,
  //   whose scale_derived is not "the policy is DYNAMIC or no scale is stated",
  //   whose zero_points are not one per scale (at least one), or whose stated scale
  //   and zero_point (zeros when none is stated) are not the spec's in float32;
  // - an event after the summary, or an empty one;
  // - for an export: an ExportReport that repeats or follows the model's chunks, or
  //   a bad ModelChunk or ExportedTensorChunk (see ExportedModelAssembly); else any
  //   of those.
  // UNIMPLEMENTED for a TensorChunk in the reply to an export: the server predates
  // exports and baked instead.
  absl::Status Add(const v1::BakeEvent& event);

  // Once the reply has ended without error. INTERNAL, with the model unchanged,
  // when the summary or a ConfigUpdate is missing, or the summary is not the one of
  // these updates and tensors:
  // - its parameters are not one per baked config, in config order (one is
  //   missing, repeated, or names no baked config), or one's state before and
  //   after, element type, element count or bytes are not its config's and its
  //   tensor's, or its tensor did not arrive whole;
  // - its counts are not BakeSession's: configs, the specs; baked, the configs left
  //   BAKED (baked now or before); passive_baked, the other baked ones; unchanged,
  //   the rest; bytes, the sum over its parameters.
  // Chunks come only for the parameters of baked configs, so every tensor that
  // arrived is then in the summary. Else the model holds the baked tensors.
  // For an export, the summary's parameters are checked against the request's
  // tensors, the report and the whole exported model must have come (see
  // ExportedModelAssembly::Take), and the exported model replaces `model`.
  absl::StatusOr<BakeOutcome> Finish();

  // After a successful Finish for an export: the server's report of it.
  const std::optional<QdqExportReport>& export_report() const { return export_report_; }

 private:
  absl::Status AddConfig(const v1::ConfigUpdate& update);
  absl::Status AddSummary(const v1::BakeSummary& summary);
  // The summary and every ConfigUpdate arrived.
  absl::Status CheckComplete() const;
  // Once complete: the summary lists the parameter of each baked config, in config
  // order (see CheckSummaryParameter), and nothing else.
  absl::Status CheckSummaryParameters() const;
  // `parameter` is the summary's entry for baked config `config`, whose tensor
  // arrived whole.
  absl::Status CheckSummaryParameter(const ParameterSummary& parameter, size_t config) const;
  // The error for the summary's parameter `listed` (none past the last) standing
  // where the one of baked config `expected_config` (none when specs_.size())
  // belongs: it repeats an earlier one, names no baked config, or the expected one
  // is missing.
  absl::Status UnexpectedSummaryParameter(size_t listed, size_t expected_config) const;
  // The first baked config whose parameter `parameter` describes.
  std::optional<size_t> BakedConfigOf(const ParameterSummary& parameter) const;
  // Once complete: the summary's counts are those of the ConfigUpdates.
  absl::Status CheckSummaryCounts() const;

  // The events only an export's reply carries.
  absl::Status AddExportEvent(const v1::BakeEvent& event);
  // Once checked: the baked tensors, or the exported model, into model_.
  absl::Status WriteModel();

  onnx::ModelProto* model_;
  BakedTensorAssembly tensors_;
  absl::Span<const TensorConfigSpec> specs_;
  std::vector<std::optional<ConfigOutcome>> configs_;  // index-aligned with specs_
  std::optional<BakeSummary> summary_;
  const bool exported_;
  ExportedModelAssembly exported_model_;
  std::optional<QdqExportReport> export_report_;
};

}  // namespace qbake

#endif  // QBAKE_CLIENT_BAKE_EVENT_COLLECTOR_H_
