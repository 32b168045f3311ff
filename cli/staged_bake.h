// A local bake that holds no whole copy of the model's tensor data in memory. The
// model is read with ExternalData::kLocate (its external data and large inline
// raw_data left in their files) and its staged output begun (ModelFileStage): the
// bytes that are not baked are copied file to file; each parameter to bake is
// loaded into a reused buffer, baked (BakeSession::BakeParameter), written over its
// range of its staged file and unloaded. Parameters of 1 to 64 MiB overlap: the
// next one is read on a thread of its own while one bakes, and the baked one is
// written on another while the next bakes. Memory holds the model without that data,
// the largest parameter and at most two more of at most 64 MiB.
//
// The outputs hold what those of a whole-model bake (LocalModelBaker, then
// StageModelFile) hold: the data files byte for byte, and the model file the
// input's bytes with the baked ones rewritten, where a whole-model bake serializes
// the model again (the same bytes for a model that protobuf serialized, as ONNX
// and PPQ do). The errors are its errors: the configs are resolved before
// any output is staged. Where one model holds several parameters with bad values,
// the first in config order is named, each checked when its turn comes, as a
// qbake-server's BakeStream names them; an output that may not be written is named
// before them. Nothing is committed on error: the caller drops `outputs`.
#ifndef QBAKE_CLI_STAGED_BAKE_H_
#define QBAKE_CLI_STAGED_BAKE_H_

#include <filesystem>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "cli/bake_report_json.h"
#include "cli/model_files.h"
#include "cli/staged_outputs.h"
#include "client/remote_model_baker.h"
#include "core/bake_outcome.h"
#include "core/bake_session.h"
#include "core/config_spec.h"
#include "core/thread_pool.h"

namespace qbake {

// Bakes `file` (read with ExternalData::kLocate) with `specs` on `pool` and stages
// it at `path` in `outputs` (ModelFileStage). options.progress is told after each
// parameter. Adds to `timings`: read_s, loading the parameters' bytes; bake_s,
// resolving the configs and baking; write_s, staging the files. Returns nullopt,
// with nothing baked or staged, when a parameter to bake holds its values where
// only a serialization of the whole model rewrites them (float_data, a node
// attribute, a model the skeleton walk left to a whole parse): bake it whole then.
absl::StatusOr<std::optional<BakeOutcome>> BakeIntoStage(
    ModelFile* file, absl::Span<const TensorConfigSpec> specs, const BakeOptions& options,
    ThreadPool* pool, const std::filesystem::path& path, StagedOutputs* outputs,
    BakeTimings* timings);

// The same on a qbake-server: `file` is staged, then baked by
// RemoteModelBaker::BakeStored, its external and left-out inline tensors sent from
// their files and their baked bytes written into their staged files as they
// arrive. Memory holds the model without that data and a few chunks. An output
// that may not be written is named before the server is called. bake_s covers the
// call; write_s, staging the files. nullopt as BakeIntoStage, and for configs that
// do not resolve here (nothing is staged: the whole-model path then gets the
// server's answer, which names the config).
absl::StatusOr<std::optional<BakeOutcome>> BakeRemotelyIntoStage(
    ModelFile* file, absl::Span<const TensorConfigSpec> specs, const BakeOptions& options,
    RemoteModelBaker* baker, const std::filesystem::path& path, StagedOutputs* outputs,
    BakeTimings* timings);

}  // namespace qbake

#endif  // QBAKE_CLI_STAGED_BAKE_H_
