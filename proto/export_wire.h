// Conversions between the qbake.v1 export messages (BakeOptions.format and
// no_activation_qdq, ExportReport) and the core's export types
// (core/qdq_export.h), shared by the server and the client.
#ifndef QBAKE_PROTO_EXPORT_WIRE_H_
#define QBAKE_PROTO_EXPORT_WIRE_H_

#include <cstddef>
#include <optional>

#include "absl/status/statusor.h"
#include "core/qdq_export.h"
#include "core/quant_config.h"
#include "qbake/v1/bake.pb.h"

namespace qbake {

// An exported model's top-level initializers with this much raw_data or more travel
// as ExportedTensorChunks, the rest of the model as ModelChunks (see bake.proto).
inline constexpr size_t kExportedTensorMinBytes = 1024;

// The export `wire` asks for, rounding as the bake does (`default_rounding`);
// nullopt for EXPORT_BAKED. INVALID_ARGUMENT naming the field for a format number
// the API does not define, and for no_activation_qdq without an export.
absl::StatusOr<std::optional<QdqExportOptions>> ExportFromWire(const v1::BakeOptions& wire,
                                                               Rounding default_rounding);
// Sets `wire`'s format and no_activation_qdq to ask for `options` (nullopt: none).
void ExportToWire(const std::optional<QdqExportOptions>& options, v1::BakeOptions* wire);

v1::ExportReport ExportReportToWire(const QdqExportReport& report);
QdqExportReport ExportReportFromWire(const v1::ExportReport& wire);

}  // namespace qbake

#endif  // QBAKE_PROTO_EXPORT_WIRE_H_
