// A local bake of a model whose parameters are ONNX external data that holds no
// whole copy of that data in memory. The model is read with ExternalData::kLocate
// and its staged output begun (ModelFileStage): the bytes of tensors that are not
// baked are copied file to file; each parameter to bake is loaded into one reused
// buffer, baked (BakeSession::BakeParameter), written over its range of its staged
// data file and unloaded. Memory holds the model without its external data and the
// largest external parameter.
//
// The outputs are byte for byte those of a whole-model bake (LocalModelBaker, then
// StageModelFile), and the errors are its errors: the configs are resolved before
// any output is staged. Where one model holds several parameters with bad values,
// the first in config order is named, each checked when its turn comes, as a
// qbake-server's BakeStream names them; an output that may not be written is named
// before them. Nothing is committed on error: the caller drops `outputs`.
#ifndef QBAKE_CLI_STAGED_BAKE_H_
#define QBAKE_CLI_STAGED_BAKE_H_

#include <filesystem>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "cli/bake_report_json.h"
#include "cli/model_files.h"
#include "cli/staged_outputs.h"
#include "core/bake_outcome.h"
#include "core/bake_session.h"
#include "core/config_spec.h"
#include "core/thread_pool.h"

namespace qbake {

// Bakes `file` (read with ExternalData::kLocate) with `specs` on `pool` and stages
// it at `path` in `outputs` (as StageModelFile does). options.progress is told
// after each parameter. Adds to `timings`: read_s, loading the parameters' bytes;
// bake_s, resolving the configs and baking; write_s, staging the data files and
// the model.
absl::StatusOr<BakeOutcome> BakeIntoStage(ModelFile* file, absl::Span<const TensorConfigSpec> specs,
                                          const BakeOptions& options, ThreadPool* pool,
                                          const std::filesystem::path& path, StagedOutputs* outputs,
                                          BakeTimings* timings);

}  // namespace qbake

#endif  // QBAKE_CLI_STAGED_BAKE_H_
