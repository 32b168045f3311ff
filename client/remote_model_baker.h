// Bakes on a qbake-server. The result is the local bake's: the same BakeOutcome,
// the same baked bytes in the model, and on error the server's status code and
// message word for word (the model is then unchanged).
//
// A request that fits one message (model and configs up to max_request_bytes,
// under gRPC's default 4 MiB limit) goes by Bake. A larger one goes by BakeStream:
// tensors with more than min_external_bytes of raw_data travel as ONNX external
// data (see ExternalizedModel), so neither a message nor the serialized model comes
// near a limit whatever the model's size; replies are read on a second thread while
// the request is still being written. Replies are checked against the request as
// they arrive and written into the model at the end; one that is not what a correct
// server answers is INTERNAL (see BakeEventCollector).
//
// A call the server could not take (UNAVAILABLE, or busy: see retry_policy.h) is
// made again, whole, up to `retry.retries` times, while the deadline allows; the
// deadline bounds the whole bake, retries and waits included. Each attempt's replies
// are checked anew and only the successful attempt's are written into the model.
//
// Configs that by themselves exceed max_request_bytes fit no message of either call:
// they are refused here, with the error the server would give when they are invalid
// (they are resolved against the model first), else naming the largest config.
//
// BakeOptions: default_rounding is sent; integers are never asked for (BakeOutcome
// does not carry them); an export is asked for with BakeOptions.format; `progress` reports the
// bytes of a BakeStream upload; `cancelled` is not consulted: the deadline bounds every call.
#ifndef QBAKE_CLIENT_REMOTE_MODEL_BAKER_H_
#define QBAKE_CLIENT_REMOTE_MODEL_BAKER_H_

#include <cstddef>
#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "client/model_baker.h"
#include "client/retry_policy.h"
#include "client/tensor_store.h"
#include "grpcpp/channel.h"
#include "qbake/v1/bake.grpc.pb.h"

namespace qbake {

class BakeEventCollector;

struct RemoteBakeSettings {
  absl::Duration deadline = absl::Minutes(10);  // of the whole bake, retries included
  RetryPolicy retry;
  // Told before each retry: why the last attempt failed, which retry comes (1 for
  // the first), and the wait before it.
  std::function<void(const absl::Status& failed, int retry, absl::Duration wait)> on_retry;
  size_t max_request_bytes = size_t{3} << 20;
  size_t min_external_bytes = size_t{64} << 10;
};

class RemoteModelBaker final : public ModelBaker {
 public:
  explicit RemoteModelBaker(const std::shared_ptr<grpc::ChannelInterface>& channel,
                            RemoteBakeSettings settings = {});

  absl::StatusOr<BakeOutcome> Bake(onnx::ModelProto* model,
                                   absl::Span<const TensorConfigSpec> specs,
                                   const BakeOptions& options) override;
  // Bakes `model`, whose tensors `store` holds have no data in it (TensorStore):
  // always by BakeStream, their bytes read from the store as they are sent and the
  // baked ones written into it as they arrive; the other baked tensors go into the
  // model as Bake puts them. Each attempt rewrites every baked tensor of the store
  // whole; on error the store may hold some baked bytes, to be discarded. The
  // client holds the model without the store's tensors and a few chunks.
  absl::StatusOr<BakeOutcome> BakeStored(onnx::ModelProto* model, const TensorStore& store,
                                         absl::Span<const TensorConfigSpec> specs,
                                         const BakeOptions& options);
  // The server bakes and exports; the exported model it sends replaces `model`
  // (see BakeEventCollector).
  absl::StatusOr<ExportedBake> BakeAndExport(onnx::ModelProto* model,
                                             absl::Span<const TensorConfigSpec> specs,
                                             const BakeOptions& options,
                                             QdqExportOptions export_options) override;

 private:
  // Bake, asking for `export_options` when set; then their report goes into
  // `report`.
  // `store`, when not null, holds tensors of the model (see BakeStored).
  absl::StatusOr<BakeOutcome> Run(onnx::ModelProto* model, absl::Span<const TensorConfigSpec> specs,
                                  const BakeOptions& options,
                                  const std::optional<QdqExportOptions>& export_options,
                                  std::optional<QdqExportReport>* report,
                                  const TensorStore* store = nullptr);
  // Each call hands every event to `events` and returns the call's status, or the
  // first error `events` found (the call is then cancelled).
  absl::Status CallBake(const v1::BakeRequest& request, absl::Time deadline,
                        BakeEventCollector* events);
  absl::Status CallBakeStream(onnx::ModelProto* model, v1::BakeStreamHeader header,
                              const BakeOptions& options, absl::Time deadline,
                              const TensorStore* store, BakeEventCollector* events);

  std::unique_ptr<v1::Baker::Stub> stub_;
  RemoteBakeSettings settings_;
};

}  // namespace qbake

#endif  // QBAKE_CLIENT_REMOTE_MODEL_BAKER_H_
