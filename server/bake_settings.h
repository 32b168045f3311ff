// What a call asks the bake to do, read from its wire configs (typed, or PPQ's config
// document) and options: the specs (in request order), the document they came
// from, the core options, the export, and the chunk size of the results.
#ifndef QBAKE_SERVER_BAKE_SETTINGS_H_
#define QBAKE_SERVER_BAKE_SETTINGS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bake_session.h"
#include "core/config_spec.h"
#include "core/ppq_config_document.h"
#include "core/qdq_export.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "qbake/v1/bake.pb.h"

namespace qbake {

inline constexpr size_t kDefaultChunkBytes = size_t{1} << 20;
// Leaves 64 KiB for the chunk's name and dims under gRPC's default 4 MiB message limit.
inline constexpr size_t kMaxChunkBytes = (size_t{4} << 20) - (size_t{64} << 10);

struct BakeSettings {
  std::vector<TensorConfigSpec> specs;
  std::optional<PpqConfigDocument> document;       // set: the specs are its specs()
  BakeOptions options;                             // without `progress` and `cancelled`
  std::optional<QdqExportOptions> export_options;  // unset: the baked parameters
  size_t chunk_bytes = kDefaultChunkBytes;
};

// The specs are `configs`, or with a `ppq_config_json` those of the document
// (PpqConfigDocument::Parse, as `qbake bake --config` reads its file). INVALID_ARGUMENT
// with the wire conversion's own message for a bad config or option, with the
// document's own message after "ppq_config_json: " for a bad document, for both
// configs and a document, and for a chunk size above kMaxChunkBytes.
absl::StatusOr<BakeSettings> SettingsFromWire(
    const google::protobuf::RepeatedPtrField<v1::TensorQuantConfig>& configs,
    const std::string& ppq_config_json, const v1::BakeOptions& options);

}  // namespace qbake

#endif  // QBAKE_SERVER_BAKE_SETTINGS_H_
