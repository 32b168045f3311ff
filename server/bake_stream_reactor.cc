#include "server/bake_stream_reactor.h"

#include <utility>

namespace qbake {

BakeStreamReactor::BakeStreamReactor(const CallEnvironment& env,
                                     grpc::CallbackServerContext* context)
    : BakeCallReactor(env, context, "BakeStream"), assembler_(env.max_model_bytes) {
  if (Admit()) StartRead(&request_);
}

void BakeStreamReactor::OnReadDone(bool ok) {
  if (!ok) {  // the client half-closed, or the call broke
    Schedule([this] { AssembleAndBake(); });
    return;
  }
  CountBytesIn(request_.ByteSizeLong());
  absl::StatusOr<StreamAssembler::Step> step = assembler_.Add(&request_);
  if (!step.ok()) {
    FinishCall(step.status());
  } else if (*step == StreamAssembler::Step::kParseModel) {
    Schedule([this] { ParseModelThenRead(); });
  } else {
    StartRead(&request_);
  }
}

void BakeStreamReactor::ParseModelThenRead() {
  absl::Status parsed = assembler_.ParseModel();
  if (!parsed.ok()) return FinishCall(parsed);
  StartRead(&request_);
}

void BakeStreamReactor::AssembleAndBake() {
  absl::StatusOr<AssembledBake> assembled = assembler_.Finish();
  if (!assembled.ok()) return FinishCall(assembled.status());
  BakeAndStream(std::move(assembled->model), std::move(assembled->settings));
}

}  // namespace qbake
