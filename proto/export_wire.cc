#include "proto/export_wire.h"

#include "absl/strings/str_cat.h"

namespace qbake {

absl::StatusOr<std::optional<QdqExportOptions>> ExportFromWire(const v1::BakeOptions& wire,
                                                               Rounding default_rounding) {
  switch (wire.format()) {
    case v1::EXPORT_BAKED:
      if (wire.no_activation_qdq()) {
        return absl::InvalidArgumentError(
            "options, field 'no_activation_qdq': it needs format EXPORT_QDQ or EXPORT_QDQ_FLOAT");
      }
      return std::nullopt;
    case v1::EXPORT_QDQ:
    case v1::EXPORT_QDQ_FLOAT:
      return QdqExportOptions{wire.format() == v1::EXPORT_QDQ_FLOAT, !wire.no_activation_qdq(),
                              default_rounding};
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("options, field 'format': ", static_cast<int>(wire.format()),
                       " is not an export format (0 EXPORT_BAKED, 1 EXPORT_QDQ, "
                       "2 EXPORT_QDQ_FLOAT)"));
  }
}

void ExportToWire(const std::optional<QdqExportOptions>& options, v1::BakeOptions* wire) {
  if (!options) {
    wire->set_format(v1::EXPORT_BAKED);
    wire->set_no_activation_qdq(false);
    return;
  }
  wire->set_format(options->float_weights ? v1::EXPORT_QDQ_FLOAT : v1::EXPORT_QDQ);
  wire->set_no_activation_qdq(!options->activations);
}

v1::ExportReport ExportReportToWire(const QdqExportReport& report) {
  v1::ExportReport wire;
  for (const QdqExportedParameter& parameter : report.exported) {
    v1::ExportReport::Exported* out = wire.add_exported();
    out->set_operation(parameter.operation);
    out->set_variable(parameter.variable);
    out->set_data_type(parameter.data_type);
    out->set_per_channel(parameter.per_channel);
  }
  for (const QdqKeptFloat& kept : report.kept_float) {
    v1::ExportReport::KeptFloat* out = wire.add_kept_float();
    out->set_operation(kept.operation);
    out->set_variable(kept.variable);
    out->set_reason(kept.reason);
  }
  for (const QdqActivation& activation : report.activations) {
    v1::ExportReport::Activation* out = wire.add_activations();
    out->set_operation(activation.operation);
    out->set_variable(activation.variable);
    out->set_inserted(activation.inserted);
    out->set_shared(activation.shared);
    out->set_note(activation.note);
  }
  wire.set_float_weights(report.float_weights);
  wire.set_opset_before(report.opset_before);
  wire.set_opset_after(report.opset_after);
  wire.set_seconds(report.seconds);
  return wire;
}

QdqExportReport ExportReportFromWire(const v1::ExportReport& wire) {
  QdqExportReport report;
  for (const v1::ExportReport::Exported& parameter : wire.exported()) {
    report.exported.push_back({parameter.operation(), parameter.variable(), parameter.data_type(),
                               parameter.per_channel()});
  }
  for (const v1::ExportReport::KeptFloat& kept : wire.kept_float()) {
    report.kept_float.push_back({kept.operation(), kept.variable(), kept.reason()});
  }
  for (const v1::ExportReport::Activation& activation : wire.activations()) {
    report.activations.push_back({activation.operation(), activation.variable(),
                                  activation.inserted(), activation.shared(), activation.note()});
  }
  report.float_weights = wire.float_weights();
  report.opset_before = wire.opset_before();
  report.opset_after = wire.opset_after();
  report.seconds = wire.seconds();
  return report;
}

}  // namespace qbake
