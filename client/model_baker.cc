#include "client/model_baker.h"

#include "client/inline_data.h"

namespace qbake {

absl::StatusOr<BakeOutcome> LocalModelBaker::Bake(onnx::ModelProto* model,
                                                  absl::Span<const TensorConfigSpec> specs,
                                                  const BakeOptions& options) {
  if (absl::Status inline_data = CheckDataInline(model); !inline_data.ok()) return inline_data;
  BakeSession session(&pool_, options);
  return session.Run(model, specs);
}

absl::StatusOr<ExportedBake> LocalModelBaker::BakeAndExport(
    onnx::ModelProto* model, absl::Span<const TensorConfigSpec> specs, const BakeOptions& options,
    QdqExportOptions export_options) {
  absl::StatusOr<BakeOutcome> outcome = Bake(model, specs, options);
  if (!outcome.ok()) return outcome.status();
  export_options.default_rounding = options.default_rounding;
  absl::StatusOr<QdqExportReport> report = ExportQdq(model, specs, *outcome, export_options);
  if (!report.ok()) return report.status();
  return ExportedBake{*std::move(outcome), *std::move(report)};
}

}  // namespace qbake
