#include "server/bake_reactor.h"

#include <utility>

#include "server/request_model.h"

namespace qbake {

BakeReactor::BakeReactor(const CallEnvironment& env, grpc::CallbackServerContext* context,
                         const v1::BakeRequest* request)
    : BakeCallReactor(env, context, "Bake"), request_(request) {
  CountBytesIn(request->ByteSizeLong());
  if (Admit()) Schedule([this] { Receive(); });
}

void BakeReactor::Receive() {
  absl::Status fits = CheckModelBytes(request_->model().size(), env().max_model_bytes);
  if (!fits.ok()) return FinishCall(fits);
  absl::StatusOr<std::unique_ptr<onnx::ModelProto>> model = ParseModel(request_->model());
  if (!model.ok()) return FinishCall(model.status());
  absl::StatusOr<BakeSettings> settings =
      SettingsFromWire(request_->configs(), request_->options());
  if (!settings.ok()) return FinishCall(settings.status());
  BakeAndStream(*std::move(model), *std::move(settings));
}

}  // namespace qbake
