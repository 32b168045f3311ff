#include "client/remote_model_baker.h"

#include <thread>
#include <utility>

#include "client/bake_event_collector.h"
#include "client/bake_stream_upload.h"
#include "client/externalized_model.h"
#include "client/grpc_status.h"
#include "grpcpp/client_context.h"
#include "proto/bake_wire.h"

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

}  // namespace

RemoteModelBaker::RemoteModelBaker(const std::shared_ptr<grpc::ChannelInterface>& channel,
                                   RemoteBakeSettings settings)
    : stub_(v1::Baker::NewStub(channel)), settings_(settings) {}

absl::StatusOr<BakeOutcome> RemoteModelBaker::Bake(onnx::ModelProto* model,
                                                   absl::Span<const TensorConfigSpec> specs,
                                                   const BakeOptions& options) {
  v1::BakeRequest request = RequestWithoutModel(specs, options);
  BakeEventCollector events(model, specs);
  absl::Status replied;
  if (model->ByteSizeLong() + request.ByteSizeLong() <= settings_.max_request_bytes) {
    model->SerializeToString(request.mutable_model());
    replied = CallBake(request, &events);
  } else {
    v1::BakeStreamHeader header;
    header.mutable_configs()->Swap(request.mutable_configs());
    header.mutable_options()->Swap(request.mutable_options());
    replied = CallBakeStream(model, std::move(header), options, &events);
  }
  if (!replied.ok()) return replied;
  return events.Finish();
}

absl::Status RemoteModelBaker::CallBake(const v1::BakeRequest& request,
                                        BakeEventCollector* events) {
  grpc::ClientContext context;
  SetDeadline(&context);
  std::unique_ptr<grpc::ClientReader<v1::BakeEvent>> stream = stub_->Bake(&context, request);
  const absl::Status collected = ReadEvents(stream.get(), &context, events);
  const grpc::Status status = stream->Finish();
  return collected.ok() ? FromGrpcStatus(status) : collected;
}

absl::Status RemoteModelBaker::CallBakeStream(onnx::ModelProto* model, v1::BakeStreamHeader header,
                                              const BakeOptions& options,
                                              BakeEventCollector* events) {
  const ExternalizedModel externalized(model, settings_.min_external_bytes);
  BakeStreamUpload upload{std::move(header), {}, &externalized};
  if (!model->SerializeToString(&upload.model)) {
    return absl::InvalidArgumentError(
        "cannot serialize the model: without its large tensors it still exceeds 2 GiB");
  }
  grpc::ClientContext context;
  SetDeadline(&context);
  std::unique_ptr<BakeStreamWriter> stream = stub_->BakeStream(&context);
  absl::Status collected;
  std::thread reader([&] { collected = ReadEvents(stream.get(), &context, events); });
  WriteBakeStream(upload, stream.get(), options.progress);
  reader.join();
  const grpc::Status status = stream->Finish();
  return collected.ok() ? FromGrpcStatus(status) : collected;
}

void RemoteModelBaker::SetDeadline(grpc::ClientContext* context) const {
  context->set_deadline(absl::ToChronoTime(absl::Now() + settings_.deadline));
}

}  // namespace qbake
