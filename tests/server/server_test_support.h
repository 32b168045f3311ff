// Helpers for the server tests: an in-process qbake server on a free loopback port
// with its call log kept, and blocking client calls with deadlines.
#ifndef QBAKE_TESTS_SERVER_SERVER_TEST_SUPPORT_H_
#define QBAKE_TESTS_SERVER_SERVER_TEST_SUPPORT_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "qbake/v1/bake.grpc.pb.h"
#include "server/bake_server.h"
#include "server/server_options.h"

namespace qbake::testing {

using HealthStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

// The deadline of every test call unless a test sets its own.
inline constexpr absl::Duration kCallTimeout = absl::Seconds(120);

// 127.0.0.1 on a free port, 2 baking threads.
ServerOptions TestOptions();

// A qbake server in this process, and a channel to it.
class TestServer {
 public:
  explicit TestServer(ServerOptions options = TestOptions());

  BakeServer& server() { return *server_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  v1::Baker::Stub* stub() { return stub_.get(); }

  // The JSON call log lines, once there are at least `at_least` of them (a call logs
  // when it is done, just after its client has seen its status), waiting up to 20 s.
  std::vector<std::string> LogLines(size_t at_least) const;
  // True once exactly `calls` calls are being served, waiting up to 20 s.
  bool WaitForActiveCalls(int calls);
  // True once exactly `calls` calls wait for a place, waiting up to 20 s.
  bool WaitForQueuedCalls(int calls);

 private:
  mutable Mutex mu_;
  mutable CondVar logged_;
  std::vector<std::string> log_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<BakeServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Baker::Stub> stub_;
};

// A plaintext channel to 127.0.0.1:port.
std::shared_ptr<grpc::Channel> LoopbackChannel(int port);

void SetTimeout(grpc::ClientContext* context, absl::Duration timeout);

struct CallResult {
  grpc::Status status;
  std::vector<v1::BakeEvent> events;
  // The trailing metadata, such as grpc-retry-pushback-ms.
  std::multimap<std::string, std::string> trailers;
};

// The reason a client reads in `status`'s details (google.rpc.ErrorInfo).
std::string ReasonOf(const grpc::Status& status);

CallResult CallBake(v1::Baker::Stub* stub, const v1::BakeRequest& request,
                    absl::Duration timeout = kCallTimeout);
CallResult CallBakeStream(v1::Baker::Stub* stub, const std::vector<v1::BakeStreamRequest>& requests,
                          absl::Duration timeout = kCallTimeout);

// BakeStream with requests made one at a time by `next` (false: no more) and each
// event handed to `on_event` on a second thread as it comes, while requests are
// still written (as a real client does), so neither side is held whole.
grpc::Status StreamBake(v1::Baker::Stub* stub, grpc::ClientContext* context,
                        const std::function<bool(v1::BakeStreamRequest*)>& next,
                        const std::function<void(const v1::BakeEvent&)>& on_event);

// A BakeStream call whose messages the test sends when it likes: in flight on the
// server until the test finishes or cancels it.
class OpenStream {
 public:
  explicit OpenStream(v1::Baker::Stub* stub, absl::Duration timeout = kCallTimeout);

  // Waits for the response headers: the server sends them once it has admitted the
  // call (or with its refusal).
  void AwaitHeaders() { stream_->WaitForInitialMetadata(); }
  // False once the server has finished the call.
  bool Write(const v1::BakeStreamRequest& request) { return stream_->Write(request); }
  // Half-closes, then AwaitEnd.
  CallResult Finish();
  // Reads every event until the call ends; returns them with the status.
  CallResult AwaitEnd();
  void Cancel() { context_.TryCancel(); }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::BakeStreamRequest, v1::BakeEvent>> stream_;
};

// The health service's status for `service`; UNKNOWN when the call fails.
HealthStatus CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& service = "");

}  // namespace qbake::testing

#endif  // QBAKE_TESTS_SERVER_SERVER_TEST_SUPPORT_H_
