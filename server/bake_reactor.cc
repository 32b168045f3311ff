#include "server/bake_reactor.h"

#include <string>
#include <utility>

#include "qbake/v1/bake.pb.h"
#include "server/byte_buffer_messages.h"
#include "server/request_model.h"

namespace qbake {

BakeReactor::BakeReactor(const CallEnvironment& env, grpc::CallbackServerContext* context,
                         const grpc::ByteBuffer* request)
    : BakeCallReactor(env, context, "Bake"), request_(const_cast<grpc::ByteBuffer*>(request)) {
  Admit([this] { RunOnPool([this] { Receive(); }); });
}

void BakeReactor::Receive() {
  absl::Status held = TakeIn(request_->Length());
  if (!held.ok()) return Fail(held);
  v1::BakeRequest request;
  absl::Status parsed = ParseByteBuffer(request_, "request", &request);
  if (!parsed.ok()) return Fail(parsed);
  absl::Status fits = CheckModelBytes(request.model().size(), env().max_model_bytes);
  if (!fits.ok()) return Fail(fits);
  absl::StatusOr<std::unique_ptr<onnx::ModelProto>> model = ParseModel(request.model());
  std::string().swap(*request.mutable_model());
  if (!model.ok()) return Fail(model.status());
  absl::StatusOr<BakeSettings> settings =
      SettingsFromWire(request.configs(), request.ppq_config_json(), request.options());
  if (!settings.ok()) return Fail(settings.status());
  StartBake(*std::move(model), *std::move(settings), /*external_follows=*/false);
  pipeline().InputComplete();
}

}  // namespace qbake
