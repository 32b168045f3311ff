#include "server/bake_settings.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_util.h"
#include "proto/bake_wire.h"
#include "proto/export_wire.h"

namespace qbake {
namespace {

absl::StatusOr<size_t> ChunkBytesFromWire(uint32_t chunk_bytes) {
  if (chunk_bytes == 0) return kDefaultChunkBytes;
  if (chunk_bytes > kMaxChunkBytes) {
    return absl::InvalidArgumentError(absl::StrCat("options, field 'chunk_bytes': ", chunk_bytes,
                                                   " is above the maximum of ", kMaxChunkBytes));
  }
  return chunk_bytes;
}

// The specs of `configs`, or of the document `ppq_config_json` (kept in `settings`).
absl::Status SpecsFromWire(const google::protobuf::RepeatedPtrField<v1::TensorQuantConfig>& configs,
                           const std::string& ppq_config_json, BakeSettings* settings) {
  if (ppq_config_json.empty()) {
    for (const v1::TensorQuantConfig& config : configs) {
      absl::StatusOr<TensorConfigSpec> spec = SpecFromWire(config);
      if (!spec.ok()) return spec.status();
      settings->specs.push_back(*std::move(spec));
    }
    return absl::OkStatus();
  }
  if (!configs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ppq_config_json: given with ", configs.size(),
                     " configs; a request gives its configs one way, typed or as PPQ's document"));
  }
  absl::StatusOr<PpqConfigDocument> document = PpqConfigDocument::Parse(ppq_config_json);
  if (!document.ok()) return Annotate(document.status(), "ppq_config_json");
  settings->specs = document->specs();
  settings->document = *std::move(document);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BakeSettings> SettingsFromWire(
    const google::protobuf::RepeatedPtrField<v1::TensorQuantConfig>& configs,
    const std::string& ppq_config_json, const v1::BakeOptions& options) {
  BakeSettings settings;
  absl::Status specs = SpecsFromWire(configs, ppq_config_json, &settings);
  if (!specs.ok()) return specs;
  absl::StatusOr<BakeOptions> core_options = OptionsFromWire(options);
  if (!core_options.ok()) return core_options.status();
  settings.options = *std::move(core_options);
  absl::StatusOr<std::optional<QdqExportOptions>> export_options =
      ExportFromWire(options, settings.options.default_rounding);
  if (!export_options.ok()) return export_options.status();
  settings.export_options = *std::move(export_options);
  absl::StatusOr<size_t> chunk_bytes = ChunkBytesFromWire(options.chunk_bytes());
  if (!chunk_bytes.ok()) return chunk_bytes.status();
  settings.chunk_bytes = *chunk_bytes;
  return settings;
}

}  // namespace qbake
