#include "server/bake_stream_reactor.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/byte_buffer_messages.h"
#include "server/exception_boundary.h"
#include "server/grpc_hand_off.h"

namespace qbake {

BakeStreamReactor::BakeStreamReactor(const CallEnvironment& env,
                                     grpc::CallbackServerContext* context)
    : BakeCallReactor(env, context, "BakeStream"), assembler_(env.max_model_bytes) {
  Admit([this] { ReadMore(); });
}

void BakeStreamReactor::ReadMore() {
  {
    MutexLock lock(&mu_);
    if (reading_ || parsing_) return;
    reading_ = true;
  }
  HandOffToGrpc(this);
  StartRead(&message_bytes_);
}

void BakeStreamReactor::OnReadDone(bool ok) {
  TakeBackFromGrpc(this);
  if (!ok) {  // the client half-closed, or the call broke
    EndOfInput();
  } else {
    absl::StatusOr<StreamAssembler::Step> step = StreamAssembler::Step::kReadMore;
    const absl::Status taken = CatchExceptions([&] {
      step = Take();
      return absl::OkStatus();
    });
    if (!taken.ok()) step = taken;
    if (!step.ok()) {
      Fail(step.status());
    } else if (*step == StreamAssembler::Step::kParseModel) {
      RunOnPool([this] { ParseModel(); });
    }
  }
  {
    MutexLock lock(&mu_);
    reading_ = false;
  }
  Advance();
}

absl::StatusOr<StreamAssembler::Step> BakeStreamReactor::Take() {
  absl::Status held = TakeIn(message_bytes_.Length());
  if (!held.ok()) return held;
  absl::Status parsed = ParseByteBuffer(
      &message_bytes_, absl::StrCat("BakeStream: message ", ++messages_read_), &message_);
  if (!parsed.ok()) return parsed;
  std::vector<onnx::TensorProto*> completed;
  absl::StatusOr<StreamAssembler::Step> step;
  {
    MutexLock lock(&mu_);
    step = assembler_.Add(&message_, &completed);
    parsing_ = step.ok() && *step == StreamAssembler::Step::kParseModel;
  }
  pipeline().MarkReady(completed);
  return step;
}

void BakeStreamReactor::ParseModel() {
  absl::StatusOr<std::unique_ptr<onnx::ModelProto>> model = assembler_.ParseModel();
  if (!model.ok()) return Fail(model.status());
  StartBake(*std::move(model), assembler_.TakeSettings(), /*external_follows=*/true);
  MutexLock lock(&mu_);
  parsing_ = false;
}

void BakeStreamReactor::EndOfInput() {
  absl::Status complete;
  {
    MutexLock lock(&mu_);
    complete = assembler_.Finish();
  }
  if (!complete.ok()) return Fail(complete);
  pipeline().InputComplete();
}

}  // namespace qbake
