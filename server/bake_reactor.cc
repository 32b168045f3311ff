#include "server/bake_reactor.h"

#include <utility>

#include "server/request_model.h"

namespace qbake {

BakeReactor::BakeReactor(const CallEnvironment& env, grpc::CallbackServerContext* context,
                         const v1::BakeRequest* request)
    : BakeCallReactor(env, context, "Bake"), request_(request) {
  if (Admit()) RunOnPool([this] { Receive(); });
}

void BakeReactor::Receive() {
  absl::Status held = TakeIn(request_->ByteSizeLong());
  if (!held.ok()) return Fail(held);
  absl::Status fits = CheckModelBytes(request_->model().size(), env().max_model_bytes);
  if (!fits.ok()) return Fail(fits);
  absl::StatusOr<std::unique_ptr<onnx::ModelProto>> model = ParseModel(request_->model());
  if (!model.ok()) return Fail(model.status());
  absl::StatusOr<BakeSettings> settings =
      SettingsFromWire(request_->configs(), request_->options());
  if (!settings.ok()) return Fail(settings.status());
  StartBake(*std::move(model), *std::move(settings), /*external_follows=*/false);
  InputComplete();
}

}  // namespace qbake
