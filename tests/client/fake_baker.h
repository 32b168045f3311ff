// An in-process stand-in for qbake-server, for tests of the client library: a gRPC
// server on a free loopback port whose qbake.v1.Baker answers every call with a
// scripted reply (events, then a status) and records what it received, and whose
// standard health service reports a status the test sets. Header-only (client_tests
// and cli_tests include it).
#ifndef QBAKE_TESTS_CLIENT_FAKE_BAKER_H_
#define QBAKE_TESTS_CLIENT_FAKE_BAKER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "qbake/v1/bake.grpc.pb.h"

namespace qbake::testing {

struct FakeReply {
  std::vector<v1::BakeEvent> events;
  grpc::Status status;
  absl::Duration delay = absl::ZeroDuration();  // before the first event
};

// What one call brought: the Bake request, or every BakeStream message.
struct FakeCall {
  bool streamed = false;
  v1::BakeRequest request;
  std::vector<v1::BakeStreamRequest> messages;
};

class FakeBakerService final : public v1::Baker::Service {
 public:
  void SetReply(FakeReply reply) {
    MutexLock lock(&mu_);
    reply_ = std::move(reply);
  }

  // The reply to the next call only; later calls get SetReply's.
  void SetNextReply(FakeReply reply) {
    MutexLock lock(&mu_);
    next_reply_ = std::move(reply);
  }

  std::vector<FakeCall> calls() const {
    MutexLock lock(&mu_);
    return calls_;
  }

  grpc::Status Bake(grpc::ServerContext* context, const v1::BakeRequest* request,
                    grpc::ServerWriter<v1::BakeEvent>* writer) override {
    FakeCall call;
    call.request = *request;
    return Answer(std::move(call), context, writer);
  }

  grpc::Status BakeStream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::BakeEvent, v1::BakeStreamRequest>* stream) override {
    FakeCall call;
    call.streamed = true;
    for (v1::BakeStreamRequest message; stream->Read(&message);) call.messages.push_back(message);
    return Answer(std::move(call), context, stream);
  }

 private:
  grpc::Status Answer(FakeCall call, grpc::ServerContext* context,
                      grpc::internal::WriterInterface<v1::BakeEvent>* writer) {
    FakeReply reply;
    {
      MutexLock lock(&mu_);
      calls_.push_back(std::move(call));
      reply = next_reply_.value_or(reply_);
      next_reply_.reset();
    }
    const absl::Time until = absl::Now() + reply.delay;
    while (absl::Now() < until && !context->IsCancelled()) absl::SleepFor(absl::Milliseconds(5));
    for (const v1::BakeEvent& event : reply.events) {
      if (!writer->Write(event)) break;
    }
    return reply.status;
  }

  mutable Mutex mu_;
  FakeReply reply_ ABSL_GUARDED_BY(mu_);
  std::optional<FakeReply> next_reply_ ABSL_GUARDED_BY(mu_);
  std::vector<FakeCall> calls_ ABSL_GUARDED_BY(mu_);
};

class FakeServer {
 public:
  FakeServer() {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&baker_);
    server_ = builder.BuildAndStart();
    EXPECT_NE(server_, nullptr);
    EXPECT_NE(port_, 0);
  }
  ~FakeServer() { server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5))); }

  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  std::string target() const { return absl::StrCat("127.0.0.1:", port_); }
  FakeBakerService& baker() { return baker_; }
  void SetServing(bool serving) { server_->GetHealthCheckService()->SetServingStatus(serving); }

 private:
  FakeBakerService baker_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_CLIENT_FAKE_BAKER_H_
