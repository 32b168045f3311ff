// One call of any method through gRPC's generic stub, with messages of any type
// (grpc::ByteBuffer for raw bytes): writes the requests in turn, half-closes, keeps
// every response, and gives the status once the call is done. What a client with no
// generated stub, or a hostile one, does. Its callbacks hand the call back and forth
// with gRPC as the server's reactors do (server/grpc_hand_off.h).
#ifndef QBAKE_TESTS_SUPPORT_GENERIC_EXCHANGE_H_
#define QBAKE_TESTS_SUPPORT_GENERIC_EXCHANGE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "server/grpc_hand_off.h"

namespace qbake::testing {

template <typename Request, typename Response>
class GenericExchange : public grpc::ClientBidiReactor<Request, Response> {
 public:
  // Starts the call of `method` ("/package.Service/Method") at once.
  GenericExchange(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                  std::vector<Request> requests, absl::Duration timeout = absl::Seconds(120))
      : stub_(channel), requests_(std::move(requests)) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    stub_.PrepareBidiStreamingCall(&context_, method, grpc::StubOptions(), this);
    WriteNext(true);
    HandOffToGrpc(this);
    this->StartRead(&response_);
    this->StartCall();
  }

  ~GenericExchange() { Await(); }

  // The call's status, once it is done; the responses are complete then.
  grpc::Status Await() {
    MutexLock lock(&mu_);
    while (!finished_) done_.Wait(&mu_);
    return status_;
  }
  const std::vector<Response>& responses() const { return responses_; }

 private:
  // After a failed write the server has ended the call: nothing more is sent. The
  // count moves before the hand-off: the next OnWriteDone may run on another thread
  // as soon as gRPC has the call (a race ThreadSanitizer reported once).
  void WriteNext(bool ok) {
    if (!ok) return;
    if (written_ == requests_.size()) {
      HandOffToGrpc(this);
      return this->StartWritesDone();
    }
    const Request* next = &requests_[written_++];
    HandOffToGrpc(this);
    this->StartWrite(next);
  }
  void OnWriteDone(bool ok) override {
    TakeBackFromGrpc(this);
    WriteNext(ok);
  }
  void OnReadDone(bool ok) override {
    TakeBackFromGrpc(this);
    if (!ok) return;
    responses_.push_back(response_);
    HandOffToGrpc(this);
    this->StartRead(&response_);
  }
  void OnDone(const grpc::Status& status) override {
    TakeBackFromGrpc(this);
    MutexLock lock(&mu_);
    status_ = status;
    finished_ = true;
    done_.SignalAll();
  }

  grpc::TemplatedGenericStub<Request, Response> stub_;
  grpc::ClientContext context_;
  std::vector<Request> requests_;
  size_t written_ = 0;
  Response response_;
  std::vector<Response> responses_;
  Mutex mu_;
  CondVar done_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SUPPORT_GENERIC_EXCHANGE_H_
