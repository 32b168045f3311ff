#include "cli/bake_command.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/bake_report_json.h"
#include "cli/command_line.h"
#include "cli/human_units.h"
#include "cli/model_files.h"
#include "cli/progress_bar.h"
#include "cli/remote_flags.h"
#include "cli/staged_bake.h"
#include "cli/staged_outputs.h"
#include "client/model_baker.h"
#include "client/remote_channel.h"
#include "client/remote_model_baker.h"
#include "common/regular_file.h"
#include "common/status_util.h"
#include "core/ppq_config_document.h"
#include "core/qdq_export.h"
#include "core/quant_config.h"

namespace qbake {
namespace {

namespace fs = std::filesystem;

constexpr std::array<absl::string_view, 9> kLocalFlags = {
    "--config",  "--output",  "--config-out", "--rounding",       "--report",
    "--threads", "--retries", "--format",     "--qdq-activations"};
constexpr int kMaxRetries = 100;
constexpr absl::Duration kDefaultDeadline = absl::Minutes(10);
// Smaller bakes finish before a progress bar would be worth reading.
constexpr int64_t kProgressMinBytes = int64_t{64} << 20;
constexpr int kMaxThreads = 1024;
// The summary names this many parameters a QDQ export kept as floats; the report all.
constexpr size_t kMaxKeptFloatLines = 5;
// "-" names standard output where one output may go there (the report).
constexpr absl::string_view kStandardOutput = "-";

constexpr absl::string_view kHelp =
    R"(Usage: qbake bake MODEL.onnx --config CONFIG.json --output OUT.onnx [flags]

Bakes a PPQ-quantized ONNX model: every parameter (initializer or Constant value)
whose config is ACTIVATED or PASSIVE is replaced by its quantized-then-dequantized
value, bit for bit as PPQ's ParameterBakingPass computes it, and its config moves
to BAKED or PASSIVE_BAKED. Everything else in the model stays as it was.

  MODEL.onnx              the un-baked model; tensors stored as ONNX external data
                          are read from their files beside it
  --config CONFIG.json    PPQ's config document for MODEL (the file that
                          ppq.api.export_ppq_graph(..., config_save_to=...) writes)
  --output OUT.onnx       where to write the baked model; its external data files
                          go beside it, with the same locations, offsets and lengths
  --config-out OUT.json   where to write the config document with the new states
                          (default: OUT.onnx with .json in place of .onnx)
  --rounding NAME         rounding for configs whose document and platform name none
                          (default ROUND_HALF_EVEN); NAME is one of ROUND_HALF_EVEN,
                          ROUND_HALF_UP, ROUND_HALF_DOWN, ROUND_HALF_TOWARDS_ZERO,
                          ROUND_HALF_FAR_FORM_ZERO, ROUND_TO_NEAR_INT, ROUND_UP,
                          ROUND_DOWN (any letter case)
  --report REPORT.json    also write a JSON report: per parameter its states, data
                          type, size and quantization error; the counts; the timings
                          ('-': on standard output, the summary then on stderr)
  --format FORMAT         baked (default): the model with its parameters baked, as
                          PPQ's ParameterBakingPass leaves it; qdq: the deployable
                          model: every baked parameter that has an exact integer
                          form stored as INT8, UINT8, INT32 or 8-bit float and read
                          through a DequantizeLinear node that gives back its baked
                          value bit for bit; the opset raised to 13 (19 for 8-bit
                          floats) with ONNX's version converter (docs/EXPORT.md);
                          qdq-float: TensorRT's convention, the same but each weight
                          stays its baked floats, read through QuantizeLinear ->
                          DequantizeLinear. An export of a model with external
                          data keeps its tensors of 1 KiB or more in one data
                          file beside OUT.onnx: OUT.onnx.data
  --qdq-activations all|none
                          with --format qdq or qdq-float: all (default) also puts a
                          QuantizeLinear -> DequantizeLinear pair on every activation
                          with an ACTIVATED LINEAR config, as PPQ's ONNX Runtime
                          exporter does (the report names each pair that differs from
                          PPQ's quantization, and why); none: weights only
  --threads N             worker threads, 0 for one per hardware thread (default 0);
                          not with --server, which bakes with its own threads
  -h, --help              show this help

Outputs appear together or not at all: after an error (or Ctrl-C) every output
file is as it was before. Missing folders of the outputs are created. An output
replaces only a regular file, never an input of the bake (the model, its
external data files, the config), a link, a device or a FIFO. External data is
read only from regular files beneath the model's folder, reached without
symbolic links.

Baking on a qbake-server gives the same output files, byte for byte; the server
reads nothing from disk, the model and its external data travel with the call:
  --server TARGET         bake on this qbake-server instead of in this process:
                          HOST:PORT, or any gRPC target, such as
                          dns:///HOST:PORT or ipv4:IP:PORT,IP:PORT (calls are
                          spread over every address, round robin)
  --retries N             when the server is unreachable, busy or lost mid-bake,
                          bake again, whole, up to N more times within the deadline,
                          waiting longer each time (default 5)
)";

constexpr absl::string_view kHelpTail = R"(
Examples:
  qbake bake model.onnx --config ppq_config.json --output baked/model.onnx \
      --report baked/report.json
  qbake bake model.onnx --config ppq_config.json --output baked/model.onnx \
      --server bake.example.com:50051 --tls-ca ca.pem

Exit codes:
  0  baked; a summary is printed on stdout
  1  the bake failed: an unreadable or invalid model or config, a model the
     server refuses, an I/O error; one line "qbake: error: ..." on stderr names
     the cause, in the same words whether the bake ran here or on the server
  2  usage error: unknown flag, missing or malformed argument
  3  the server was unreachable, busy or past the deadline after every retry:
     the same command may succeed later
  4  the server refused the credentials: auth token, TLS certificate or CA
)";

// What --format writes.
enum class OutputFormat { kBaked, kQdq, kQdqFloat };

struct BakeFlags {
  fs::path model;
  fs::path config;
  fs::path output;
  fs::path config_out;
  std::optional<fs::path> report;
  Rounding rounding = Rounding::kHalfEven;
  OutputFormat format = OutputFormat::kBaked;
  bool qdq_activations = true;
  int threads = 0;
  std::optional<RemoteFlags> remote;  // with --server
  int retries = RetryPolicy().retries;
};

absl::StatusOr<int> ParseThreads(const std::string& text) {
  int threads = 0;
  if (!absl::SimpleAtoi(text, &threads) || threads < 0 || threads > kMaxThreads) {
    return absl::InvalidArgumentError(absl::StrCat("--threads must be a whole number from 0 to ",
                                                   kMaxThreads, ", not '", text, "'"));
  }
  return threads;
}

absl::StatusOr<OutputFormat> ParseFormat(const std::string& text) {
  if (text == "baked") return OutputFormat::kBaked;
  if (text == "qdq") return OutputFormat::kQdq;
  if (text == "qdq-float") return OutputFormat::kQdqFloat;
  return absl::InvalidArgumentError(
      absl::StrCat("--format must be baked, qdq or qdq-float, not '", text, "'"));
}

absl::StatusOr<Rounding> ParseRounding(const std::string& text) {
  absl::StatusOr<Rounding> rounding = RoundingFromName(absl::AsciiStrToUpper(text));
  if (!rounding.ok()) return Annotate(rounding.status(), "--rounding");
  return rounding;
}

absl::StatusOr<BakeFlags> FlagsFromArgs(const CommandLine& args) {
  if (args.positionals.empty()) return absl::InvalidArgumentError("MODEL.onnx is missing");
  if (args.positionals.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", args.positionals[1], "'"));
  }
  BakeFlags flags;
  flags.model = args.positionals.front();
  for (auto [flag, path] : {std::pair{"--config", &flags.config}, {"--output", &flags.output}}) {
    const std::string* value = args.Find(flag);
    if (value == nullptr) return absl::InvalidArgumentError(absl::StrCat(flag, " is required"));
    *path = *value;
  }
  for (const char* flag : {"--output", "--config-out"}) {
    const std::string* value = args.Find(flag);
    if (value != nullptr && *value == kStandardOutput) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag,
          " cannot be '-': the model and its config are files (external data goes beside "
          "the model); only --report may go to standard output"));
    }
  }
  const std::string* config_out = args.Find("--config-out");
  flags.config_out =
      config_out ? fs::path(*config_out) : fs::path(flags.output).replace_extension(".json");
  if (const std::string* report = args.Find("--report")) flags.report = *report;
  if (const std::string* rounding = args.Find("--rounding")) {
    absl::StatusOr<Rounding> parsed = ParseRounding(*rounding);
    if (!parsed.ok()) return parsed.status();
    flags.rounding = *parsed;
  }
  if (const std::string* format = args.Find("--format")) {
    absl::StatusOr<OutputFormat> parsed = ParseFormat(*format);
    if (!parsed.ok()) return parsed.status();
    flags.format = *parsed;
  }
  if (const std::string* activations = args.Find("--qdq-activations")) {
    if (flags.format == OutputFormat::kBaked) {
      return absl::InvalidArgumentError("--qdq-activations needs --format qdq or qdq-float");
    }
    if (*activations != "all" && *activations != "none") {
      return absl::InvalidArgumentError(
          absl::StrCat("--qdq-activations must be all or none, not '", *activations, "'"));
    }
    flags.qdq_activations = *activations == "all";
  }
  if (const std::string* threads = args.Find("--threads")) {
    absl::StatusOr<int> parsed = ParseThreads(*threads);
    if (!parsed.ok()) return parsed.status();
    flags.threads = *parsed;
  }
  absl::StatusOr<std::optional<RemoteFlags>> remote = RemoteFlagsFromArgs(args, kDefaultDeadline);
  if (!remote.ok()) return remote.status();
  flags.remote = *std::move(remote);
  if (flags.remote && args.Find("--threads") != nullptr) {
    return absl::InvalidArgumentError("--threads is for local bakes; not with --server");
  }
  if (const std::string* retries = args.Find("--retries")) {
    if (!flags.remote) return absl::InvalidArgumentError("--retries needs --server");
    if (!absl::SimpleAtoi(*retries, &flags.retries) || flags.retries < 0 ||
        flags.retries > kMaxRetries) {
      return absl::InvalidArgumentError(absl::StrCat("--retries must be a whole number from 0 to ",
                                                     kMaxRetries, ", not '", *retries, "'"));
    }
  }
  return flags;
}

class Stopwatch {
 public:
  // Seconds since construction or the previous Lap.
  double Lap() {
    const auto now = std::chrono::steady_clock::now();
    const std::chrono::duration<double> elapsed = now - last_;
    last_ = now;
    return elapsed.count();
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

struct BakeInputs {
  ModelFile model;
  PpqConfigDocument document;
  FileIdentity config_identity;
};

bool ReportToStandardOutput(const BakeFlags& flags) {
  return flags.report && flags.report->string() == kStandardOutput;
}

struct BakeRun {
  BakeOutcome outcome;
  std::optional<QdqExportReport> export_report;  // with --format qdq or qdq-float
  BakeTimings timings;
};

absl::StatusOr<BakeInputs> ReadInputs(const BakeFlags& flags, ExternalData loading) {
  absl::StatusOr<ModelFile> model = ReadModelFile(flags.model, loading);
  if (!model.ok()) return model.status();
  absl::StatusOr<RegularFile> config = RegularFile::Open(flags.config);
  absl::StatusOr<std::string> json =
      config.ok() ? config->Read(0, std::nullopt) : absl::StatusOr<std::string>(config.status());
  if (!json.ok()) return Annotate(json.status(), "cannot read the config");
  absl::StatusOr<PpqConfigDocument> document = PpqConfigDocument::Parse(*json);
  if (!document.ok()) {
    return Annotate(document.status(), absl::StrCat("config '", flags.config.string(), "'"));
  }
  return BakeInputs{std::move(*model), std::move(*document), config->identity()};
}

BakeOptions OptionsWithProgress(const BakeFlags& flags, ProgressBar* progress_bar) {
  BakeOptions options;
  options.default_rounding = flags.rounding;
  options.progress = [progress_bar](int64_t done_bytes, int64_t total_bytes) {
    progress_bar->Update(done_bytes, total_bytes);
  };
  return options;
}

// Bakes (and, with --format qdq or qdq-float, exports) where `baker` bakes.
absl::Status BakeModel(const BakeFlags& flags, BakeInputs* inputs, ModelBaker* baker,
                       BakeRun* run) {
  ProgressBar progress_bar(kProgressMinBytes);
  const BakeOptions options = OptionsWithProgress(flags, &progress_bar);
  onnx::ModelProto* model = inputs->model.model.get();
  if (flags.format == OutputFormat::kBaked) {
    absl::StatusOr<BakeOutcome> outcome = baker->Bake(model, inputs->document.specs(), options);
    if (!outcome.ok()) return outcome.status();
    run->outcome = *std::move(outcome);
    return absl::OkStatus();
  }
  absl::StatusOr<ExportedBake> exported = baker->BakeAndExport(
      model, inputs->document.specs(), options,
      QdqExportOptions{flags.format == OutputFormat::kQdqFloat, flags.qdq_activations});
  if (!exported.ok()) return exported.status();
  run->outcome = std::move(exported->outcome);
  run->export_report = std::move(exported->report);
  return absl::OkStatus();
}

// Bakes the whole model where `baker` bakes, then stages it. bake_s covers the
// transfers of a remote bake; the export's time is its own, measured where it ran.
absl::Status BakeThenStage(const BakeFlags& flags, BakeInputs* inputs, ModelBaker* baker,
                           StagedOutputs* outputs, BakeRun* run, Stopwatch* stopwatch) {
  absl::Status baked = BakeModel(flags, inputs, baker, run);
  if (!baked.ok()) return baked;
  run->timings.bake_s = stopwatch->Lap();
  if (run->export_report) {
    run->timings.export_s = run->export_report->seconds;
    run->timings.bake_s -= run->timings.export_s;
  }
  // An export's model no longer fits its input's data files: it gets one of its own.
  absl::Status staged = flags.format == OutputFormat::kBaked || inputs->model.external.empty()
                            ? StageModelFile(&inputs->model, flags.output, outputs)
                            : StageModelWithDataFile(&inputs->model, flags.output, outputs);
  run->timings.write_s = stopwatch->Lap();
  return staged;
}

// How a model read with ExternalData::kLocate is baked into its staged files:
// BakeIntoStage or BakeRemotelyIntoStage, whose arguments after the options these are.
using StagedBake = std::function<absl::StatusOr<std::optional<BakeOutcome>>(
    ModelFile*, absl::Span<const TensorConfigSpec>, const BakeOptions&, const fs::path&,
    StagedOutputs*, BakeTimings*)>;

// Bakes the located model into its staged files with `staged_bake`, or, when its
// parameters are not all where that rewrites them, reads it whole and bakes it with
// `baker`.
absl::Status BakeIntoStagedFiles(const BakeFlags& flags, BakeInputs* inputs, ModelBaker* baker,
                                 const StagedBake& staged_bake, StagedOutputs* outputs,
                                 BakeRun* run, Stopwatch* stopwatch) {
  ProgressBar progress_bar(kProgressMinBytes);
  absl::StatusOr<std::optional<BakeOutcome>> outcome =
      staged_bake(&inputs->model, inputs->document.specs(),
                  OptionsWithProgress(flags, &progress_bar), flags.output, outputs, &run->timings);
  stopwatch->Lap();
  if (!outcome.ok()) return outcome.status();
  if (outcome->has_value()) {
    run->outcome = **std::move(outcome);
    return absl::OkStatus();
  }
  absl::StatusOr<ModelFile> whole = ReadModelFile(flags.model, ExternalData::kLoad);
  if (!whole.ok()) return whole.status();
  inputs->model = *std::move(whole);
  run->timings.read_s += stopwatch->Lap();
  return BakeThenStage(flags, inputs, baker, outputs, run, stopwatch);
}

// Stages the config and the report beside the staged model, then commits them all;
// a report for standard output is printed once they are in place. write_s covers
// the model, its external data and the config; the report, which states it, comes
// after.
absl::Status WriteOutputs(const BakeFlags& flags, const BakeInputs& inputs, BakeRun* run,
                          StagedOutputs* outputs, Stopwatch* stopwatch) {
  absl::Status status =
      outputs->StageBytes(flags.config_out, inputs.document.Render(run->outcome.configs));
  run->timings.write_s += stopwatch->Lap();
  if (!status.ok()) return status;
  std::string report;
  if (flags.report) {
    report = BakeReportJson(run->outcome.summary, run->timings,
                            run->export_report ? &*run->export_report : nullptr);
  }
  if (flags.report && !ReportToStandardOutput(flags)) {
    status = outputs->StageBytes(*flags.report, report);
    if (!status.ok()) return status;
  }
  status = outputs->Commit();
  if (status.ok() && ReportToStandardOutput(flags)) std::fputs(report.c_str(), stdout);
  return status;
}

// A bake of the baked model holds no parameter whole (remote) or one at a time
// (local) with `staged_bake` (staged_bake.h); an export holds the whole model.
absl::StatusOr<BakeRun> BakeFiles(const BakeFlags& flags, ModelBaker* baker,
                                  const StagedBake& staged_bake) {
  Stopwatch stopwatch;
  BakeRun run;
  const bool in_files = flags.format == OutputFormat::kBaked;
  absl::StatusOr<BakeInputs> inputs =
      ReadInputs(flags, in_files ? ExternalData::kLocate : ExternalData::kLoad);
  if (!inputs.ok()) return inputs.status();
  run.timings.read_s = stopwatch.Lap();
  // No output may replace an input: the model and its data files are protected as
  // they are staged.
  StagedOutputs outputs;
  outputs.ProtectInput(inputs->config_identity, "the input config");
  absl::Status staged =
      in_files
          ? BakeIntoStagedFiles(flags, &*inputs, baker, staged_bake, &outputs, &run, &stopwatch)
          : BakeThenStage(flags, &*inputs, baker, &outputs, &run, &stopwatch);
  if (!staged.ok()) return staged;
  absl::Status written = WriteOutputs(flags, *inputs, &run, &outputs, &stopwatch);
  if (!written.ok()) return written;
  return run;
}

std::string StateChange(QuantState from) {
  return absl::StrCat(StateName(from), " -> ", StateName(BakedState(from)));
}

// On standard output, or standard error when the report goes to standard output.
void PrintSummary(const BakeFlags& flags, const BakeRun& run) {
  std::FILE* out = ReportToStandardOutput(flags) ? stderr : stdout;
  const BakeSummary& summary = run.outcome.summary;
  const BakeTimings& timings = run.timings;
  const std::string export_time =
      run.export_report ? absl::StrFormat(", export %.3f s", timings.export_s) : "";
  absl::FPrintF(out, "Baked %s in %.3f s (read %.3f s, bake %.3f s%s, write %.3f s)\n",
                flags.model.string(),
                timings.read_s + timings.bake_s + timings.export_s + timings.write_s,
                timings.read_s, timings.bake_s, export_time, timings.write_s);
  const std::pair<std::string, int64_t> counts[] = {
      {"configs", summary.configs},
      {StateChange(QuantState::kActivated), summary.baked},
      {StateChange(QuantState::kPassive), summary.passive_baked},
      {"unchanged", summary.unchanged},
      {"parameters rewritten", static_cast<int64_t>(summary.parameters.size())},
  };
  for (const auto& [label, count] : counts) absl::FPrintF(out, "  %-26s %8d\n", label + ":", count);
  absl::FPrintF(out, "  %-26s %8s\n", "bytes rewritten:", FormatBytes(summary.bytes));
  if (run.export_report) {
    const QdqExportReport& exported = *run.export_report;
    absl::FPrintF(out, "  %-26s %8d\n", "stored as integers (QDQ):", exported.exported.size());
    absl::FPrintF(out, "  %-26s %8d\n", "kept baked floats:", exported.kept_float.size());
    if (flags.qdq_activations) {
      int64_t pairs = 0, differing = 0;
      for (const QdqActivation& activation : exported.activations) {
        pairs += activation.inserted;
        differing += activation.inserted && !activation.note.empty();
      }
      absl::FPrintF(out, "  %-26s %8d\n", "activation QDQ pairs:", pairs);
      absl::FPrintF(out, "  %-26s %8d\n", "  differing from PPQ:", differing);
      absl::FPrintF(out, "  %-26s %8d\n",
                    "activations without:", exported.activations.size() - pairs);
    }
    absl::FPrintF(out, "  %-26s %5d -> %d\n", "opset:", exported.opset_before,
                  exported.opset_after);
    const size_t shown = std::min(exported.kept_float.size(), kMaxKeptFloatLines);
    for (size_t i = 0; i < shown; ++i) {
      const QdqKeptFloat& kept = exported.kept_float[i];
      absl::FPrintF(out, "    kept operation '%s', variable '%s': %s\n", kept.operation,
                    kept.variable, kept.reason);
    }
    if (shown < exported.kept_float.size()) {
      absl::FPrintF(out, "    ... and %d more (--report lists every one)\n",
                    exported.kept_float.size() - shown);
    }
  }
  std::vector<std::string> written = {flags.output.string(), flags.config_out.string()};
  if (flags.report) {
    written.push_back(ReportToStandardOutput(flags) ? "the report to standard output"
                                                    : flags.report->string());
  }
  absl::FPrintF(out, "Wrote %s\n", absl::StrJoin(written, ", "));
}

// The baker on the --server.
absl::StatusOr<std::unique_ptr<RemoteModelBaker>> MakeRemoteBaker(const BakeFlags& flags) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(flags.remote->channel);
  if (!channel.ok()) return channel.status();
  RemoteBakeSettings settings;
  settings.deadline = flags.remote->deadline;
  settings.retry.retries = flags.retries;
  settings.on_retry = [retries = flags.retries](const absl::Status& failed, int retry,
                                                absl::Duration wait) {
    PrintWarning(absl::StrFormat("%s; trying again in %.1f s (retry %d of %d)", failed.message(),
                                 absl::ToDoubleSeconds(wait), retry, retries));
  };
  return std::make_unique<RemoteModelBaker>(*channel, settings);
}

// Bakes in this process, or on the --server.
absl::StatusOr<BakeRun> BakeWithFlags(const BakeFlags& flags) {
  if (!flags.remote) {
    LocalModelBaker baker(flags.threads);
    return BakeFiles(flags, &baker,
                     [&baker](ModelFile* file, absl::Span<const TensorConfigSpec> specs,
                              const BakeOptions& options, const fs::path& path,
                              StagedOutputs* outputs, BakeTimings* timings) {
                       return BakeIntoStage(file, specs, options, baker.pool(), path, outputs,
                                            timings);
                     });
  }
  absl::StatusOr<std::unique_ptr<RemoteModelBaker>> baker = MakeRemoteBaker(flags);
  if (!baker.ok()) return baker.status();
  RemoteModelBaker* remote = baker->get();
  return BakeFiles(flags, remote,
                   [remote](ModelFile* file, absl::Span<const TensorConfigSpec> specs,
                            const BakeOptions& options, const fs::path& path,
                            StagedOutputs* outputs, BakeTimings* timings) {
                     return BakeRemotelyIntoStage(file, specs, options, remote, path, outputs,
                                                  timings);
                   });
}

int RunBake(const BakeFlags& flags) {
  absl::StatusOr<BakeRun> run = BakeWithFlags(flags);
  if (!run.ok()) {
    PrintError(run.status().message());
    return ExitCodeFor(run.status());
  }
  PrintSummary(flags, *run);
  return kExitOk;
}

}  // namespace

std::string BakeHelp() { return absl::StrCat(kHelp, RemoteFlagsHelp(kDefaultDeadline), kHelpTail); }

CommandSpec BakeCommandSpec() {
  std::vector<FlagSpec> flags;
  for (absl::string_view flag : kLocalFlags) flags.push_back({std::string(flag)});
  return {"bake", WithRemoteFlags(std::move(flags)), /*takes_positionals=*/true};
}

int RunBakeCommand(const CommandLine& command_line) {
  return RunCommand(command_line, BakeHelp(), &FlagsFromArgs, &RunBake);
}

}  // namespace qbake
