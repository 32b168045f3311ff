#include "server/bake_call_reactor.h"

#include <chrono>
#include <utility>

#include "absl/time/clock.h"
#include "server/model_bake.h"
#include "server/status_mapping.h"

namespace qbake {

template <typename Base>
BakeCallReactor<Base>::BakeCallReactor(const CallEnvironment& env,
                                       grpc::CallbackServerContext* context, std::string method)
    : env_(env), context_(context), start_(absl::Now()) {
  record_.method = std::move(method);
  record_.peer = context->peer();
}

template <typename Base>
bool BakeCallReactor<Base>::Admit() {
  absl::StatusOr<CallAdmission::Ticket> ticket = env_.admission->Admit();
  if (!ticket.ok()) {
    FinishCall(ticket.status());
    return false;
  }
  ticket_ = *std::move(ticket);
  return true;
}

template <typename Base>
void BakeCallReactor<Base>::Schedule(std::function<void()> task) {
  env_.pool->Schedule([this, task = std::move(task)] {
    if (cancelled()) {
      FinishCall(StopStatus());
    } else {
      task();
    }
  });
}

template <typename Base>
void BakeCallReactor<Base>::BakeAndStream(std::unique_ptr<onnx::ModelProto> model,
                                          BakeSettings settings) {
  const double receive_seconds = absl::ToDoubleSeconds(absl::Now() - start_);
  const size_t chunk_bytes = settings.chunk_bytes;
  absl::StatusOr<BakedModel> baked =
      BakeModel(env_.pool, std::move(model), std::move(settings), [this] { return cancelled(); });
  if (!baked.ok()) {
    FinishCall(cancelled() ? StopStatus() : baked.status());
    return;
  }
  events_.emplace(*std::move(baked), chunk_bytes, receive_seconds);
  record_.parameters = events_->parameters_baked();
  WriteNext();
}

template <typename Base>
void BakeCallReactor<Base>::WriteNext() {
  if (cancelled()) {
    FinishCall(StopStatus());
  } else if (!events_->Next(&event_)) {
    FinishCall(absl::OkStatus());
  } else {
    record_.bytes_out += event_.ByteSizeLong();
    this->StartWrite(&event_);
  }
}

template <typename Base>
void BakeCallReactor<Base>::OnWriteDone(bool ok) {
  if (ok) {
    WriteNext();
  } else {
    FinishCall(StopStatus());
  }
}

template <typename Base>
void BakeCallReactor<Base>::FinishCall(const absl::Status& status) {
  record_.status = status;
  // Free the call's place before the client can see its status, so the client's
  // next call is never refused on account of this one.
  ticket_ = CallAdmission::Ticket();
  this->Finish(ToGrpcStatus(status));
}

// The client's timer usually fires first and cancels the call; the server's copy of
// the deadline lies later by the request's transit time. A cancellation this close
// to the deadline counts as the deadline passing.
constexpr std::chrono::milliseconds kDeadlineSlack(250);

template <typename Base>
absl::Status BakeCallReactor<Base>::StopStatus() const {
  if (context_->deadline() <= std::chrono::system_clock::now() + kDeadlineSlack) {
    return absl::DeadlineExceededError("the call's deadline passed");
  }
  return absl::CancelledError("the call was cancelled");
}

template <typename Base>
void BakeCallReactor<Base>::OnCancel() {
  cancelled_.store(true);
}

template <typename Base>
void BakeCallReactor<Base>::OnDone() {
  // A cancelled call ended for the client as cancelled, whatever the server finished it with.
  if (cancelled()) record_.status = StopStatus();
  record_.seconds = absl::ToDoubleSeconds(absl::Now() - start_);
  env_.log(CallLogLine(record_));
  delete this;
}

template class BakeCallReactor<grpc::ServerWriteReactor<v1::BakeEvent>>;
template class BakeCallReactor<grpc::ServerBidiReactor<v1::BakeStreamRequest, v1::BakeEvent>>;

}  // namespace qbake
