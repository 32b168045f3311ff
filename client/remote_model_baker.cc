#include "client/remote_model_baker.h"

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/bake_event_collector.h"
#include "client/bake_stream_upload.h"
#include "client/externalized_model.h"
#include "client/inline_data.h"
#include "client/memory_headroom.h"
#include "core/config_error.h"
#include "core/config_resolver.h"
#include "core/graph_index.h"
#include "grpcpp/client_context.h"
#include "proto/bake_wire.h"
#include "proto/export_wire.h"
#include "proto/status_mapping.h"

namespace qbake {
namespace {

// A BakeRequest without its model: the configs and the options.
v1::BakeRequest RequestWithoutModel(absl::Span<const TensorConfigSpec> specs,
                                    const BakeOptions& options) {
  v1::BakeRequest request;
  for (const TensorConfigSpec& spec : specs) *request.add_configs() = SpecToWire(spec);
  *request.mutable_options() = OptionsToWire(options);
  request.mutable_options()->set_want_integers(false);
  return request;
}

// Reads the call's events into `events` until the stream (a Bake or BakeStream
// reader) ends. On the first error `events` finds, the call is cancelled and the
// rest is drained unread.
template <typename Stream>
absl::Status ReadEvents(Stream* stream, grpc::ClientContext* context, BakeEventCollector* events) {
  absl::Status collected;
  v1::BakeEvent event;
  while (stream->Read(&event)) {
    if (!collected.ok()) continue;
    collected = events->Add(event);
    if (!collected.ok()) context->TryCancel();
  }
  return collected;
}

// The configs of `request` do not fit one message, so no call could carry them: the
// error the server would give for them (the configs resolved here against the model,
// as the server would), or, when they are valid, a refusal naming the largest.
absl::Status ConfigsTooLargeToSend(onnx::ModelProto* model, const v1::BakeRequest& request,
                                   absl::Span<const TensorConfigSpec> specs,
                                   const BakeOptions& options, size_t limit) {
  GraphIndex graph(model->mutable_graph());
  absl::StatusOr<std::vector<ResolvedConfig>> resolved =
      ConfigResolver(&graph, options.default_rounding).Resolve(specs);
  if (!resolved.ok()) return resolved.status();
  int largest = 0;
  for (int i = 1; i < request.configs_size(); ++i) {
    if (request.configs(i).ByteSizeLong() > request.configs(largest).ByteSizeLong()) largest = i;
  }
  return ConfigError(specs[largest].operation, specs[largest].variable, "scale",
                     absl::StrCat("the configs take ", request.ByteSizeLong(), " bytes (this one ",
                                  request.configs(largest).ByteSizeLong(),
                                  "), more than one qbake-server message carries (", limit,
                                  "); bake this model locally (without --server)"));
}

// `status`, saying how many retries it came after when it is one more that might
// pass (the retries ran out). An answer no retry changes (a refused model) is the
// server's answer as it gave it, as on a first try and as a local bake words it.
absl::Status GaveUpAfter(const absl::Status& status, int retries) {
  if (retries == 0 || !IsRetryable(status)) return status;
  absl::Status gave_up(status.code(), absl::StrCat(status.message(), " (gave up after ", retries,
                                                   retries == 1 ? " retry)" : " retries)"));
  status.ForEachPayload([&gave_up](absl::string_view url, const absl::Cord& payload) {
    gave_up.SetPayload(url, payload);
  });
  return gave_up;
}

}  // namespace

RemoteModelBaker::RemoteModelBaker(const std::shared_ptr<grpc::ChannelInterface>& channel,
                                   RemoteBakeSettings settings)
    : stub_(v1::Baker::NewStub(channel)), settings_(settings) {}

absl::StatusOr<BakeOutcome> RemoteModelBaker::Bake(onnx::ModelProto* model,
                                                   absl::Span<const TensorConfigSpec> specs,
                                                   const BakeOptions& options) {
  return Run(model, specs, options, std::nullopt, nullptr);
}

absl::StatusOr<BakeOutcome> RemoteModelBaker::BakeStored(onnx::ModelProto* model,
                                                         const TensorStore& store,
                                                         absl::Span<const TensorConfigSpec> specs,
                                                         const BakeOptions& options) {
  return Run(model, specs, options, std::nullopt, nullptr, &store);
}

absl::StatusOr<ExportedBake> RemoteModelBaker::BakeAndExport(
    onnx::ModelProto* model, absl::Span<const TensorConfigSpec> specs, const BakeOptions& options,
    QdqExportOptions export_options) {
  std::optional<QdqExportReport> report;
  absl::StatusOr<BakeOutcome> outcome = Run(model, specs, options, export_options, &report);
  if (!outcome.ok()) return outcome.status();
  return ExportedBake{*std::move(outcome), *std::move(report)};
}

absl::StatusOr<BakeOutcome> RemoteModelBaker::Run(
    onnx::ModelProto* model, absl::Span<const TensorConfigSpec> specs, const BakeOptions& options,
    const std::optional<QdqExportOptions>& export_options, std::optional<QdqExportReport>* report,
    const TensorStore* store) {
  if (absl::Status inline_data = CheckDataInline(model, store); !inline_data.ok()) {
    return inline_data;
  }
  v1::BakeRequest request = RequestWithoutModel(specs, options);
  ExportToWire(export_options, request.mutable_options());
  if (request.ByteSizeLong() > settings_.max_request_bytes) {
    return ConfigsTooLargeToSend(model, request, specs, options, settings_.max_request_bytes);
  }
  const bool whole = store == nullptr &&
                     model->ByteSizeLong() + request.ByteSizeLong() <= settings_.max_request_bytes;
  v1::BakeStreamHeader header;
  if (whole) {
    model->SerializeToString(request.mutable_model());
  } else {
    header.mutable_configs()->Swap(request.mutable_configs());
    header.mutable_options()->Swap(request.mutable_options());
  }
  const absl::Time deadline = absl::Now() + settings_.deadline;
  absl::BitGen random;
  for (int retry = 1;; ++retry) {
    BakeEventCollector events(model, specs, export_options.has_value(), store);
    const absl::Status replied =
        whole ? CallBake(request, deadline, &events)
              : CallBakeStream(model, header, options, deadline, store, &events);
    if (replied.ok()) {
      absl::StatusOr<BakeOutcome> outcome = events.Finish();
      if (outcome.ok() && report != nullptr) *report = events.export_report();
      return outcome;
    }
    if (retry > settings_.retry.retries || !IsRetryable(replied)) {
      return GaveUpAfter(replied, retry - 1);
    }
    const absl::Duration wait = RetryWait(settings_.retry, retry, replied, random);
    if (absl::Now() + wait >= deadline) return GaveUpAfter(replied, retry - 1);
    if (settings_.on_retry) settings_.on_retry(replied, retry, wait);
    absl::SleepFor(wait);
  }
}

absl::Status RemoteModelBaker::CallBake(const v1::BakeRequest& request, absl::Time deadline,
                                        BakeEventCollector* events) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(deadline));
  std::unique_ptr<grpc::ClientReader<v1::BakeEvent>> stream = stub_->Bake(&context, request);
  const absl::Status collected = ReadEvents(stream.get(), &context, events);
  const grpc::Status status = stream->Finish();
  return collected.ok() ? FromGrpcStatus(status) : collected;
}

absl::Status RemoteModelBaker::CallBakeStream(onnx::ModelProto* model, v1::BakeStreamHeader header,
                                              const BakeOptions& options, absl::Time deadline,
                                              const TensorStore* store,
                                              BakeEventCollector* events) {
  if (store != nullptr) CheckTransportHeadroom();  // the tensors themselves take none
  const ExternalizedModel externalized(model, settings_.min_external_bytes, store);
  BakeStreamUpload upload{std::move(header), {}, &externalized};
  if (!model->SerializeToString(&upload.model)) {
    return absl::InvalidArgumentError(
        "cannot serialize the model: without its large tensors it still exceeds 2 GiB");
  }
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(deadline));
  std::unique_ptr<BakeStreamWriter> stream = stub_->BakeStream(&context);
  absl::Status collected;
  std::thread reader = StartThread([&] { collected = ReadEvents(stream.get(), &context, events); });
  const absl::Status read = WriteBakeStream(upload, stream.get(), options.progress);
  if (!read.ok()) context.TryCancel();
  reader.join();
  const grpc::Status status = stream->Finish();
  if (!read.ok()) return read;
  return collected.ok() ? FromGrpcStatus(status) : collected;
}

}  // namespace qbake
