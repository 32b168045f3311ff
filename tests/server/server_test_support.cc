#include "tests/server/server_test_support.h"

#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/error_detail.h"
#include "gtest/gtest.h"
#include "proto/status_mapping.h"

namespace qbake::testing {

ServerOptions TestOptions() {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.threads = 2;
  return options;
}

TestServer::TestServer(ServerOptions options) {
  absl::StatusOr<std::unique_ptr<BakeServer>> server =
      BakeServer::Start(options, [this](absl::string_view line) {
        MutexLock lock(&mu_);
        log_.emplace_back(line);
        logged_.SignalAll();
      });
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return;
  server_ = *std::move(server);
  channel_ = LoopbackChannel(server_->port());
  stub_ = v1::Baker::NewStub(channel_);
}

std::vector<std::string> TestServer::LogLines(size_t at_least) const {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  MutexLock lock(&mu_);
  while (log_.size() < at_least && absl::Now() < deadline) logged_.WaitUntil(&mu_, deadline);
  return log_;
}

namespace {

// True once `count()` is `calls`, waiting up to 20 s.
bool WaitForCount(const std::function<int()>& count, int calls) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (count() != calls) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

std::multimap<std::string, std::string> Trailers(const grpc::ClientContext& context) {
  std::multimap<std::string, std::string> trailers;
  for (const auto& [key, value] : context.GetServerTrailingMetadata()) {
    trailers.emplace(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
  }
  return trailers;
}

}  // namespace

bool TestServer::WaitForActiveCalls(int calls) {
  return WaitForCount([this] { return server_->active_calls(); }, calls);
}

bool TestServer::WaitForQueuedCalls(int calls) {
  return WaitForCount([this] { return server_->queued_calls(); }, calls);
}

std::shared_ptr<grpc::Channel> LoopbackChannel(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

void SetTimeout(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
}

std::string ReasonOf(const grpc::Status& status) { return ErrorReason(FromGrpcStatus(status)); }

CallResult CallBake(v1::Baker::Stub* stub, const v1::BakeRequest& request, absl::Duration timeout) {
  grpc::ClientContext context;
  SetTimeout(&context, timeout);
  CallResult result;
  std::unique_ptr<grpc::ClientReader<v1::BakeEvent>> reader = stub->Bake(&context, request);
  for (v1::BakeEvent event; reader->Read(&event);) result.events.push_back(event);
  result.status = reader->Finish();
  result.trailers = Trailers(context);
  return result;
}

CallResult CallBakeStream(v1::Baker::Stub* stub, const std::vector<v1::BakeStreamRequest>& requests,
                          absl::Duration timeout) {
  grpc::ClientContext context;
  SetTimeout(&context, timeout);
  CallResult result;
  size_t next = 0;
  result.status = StreamBake(
      stub, &context,
      [&](v1::BakeStreamRequest* request) {
        if (next == requests.size()) return false;
        *request = requests[next++];
        return true;
      },
      [&](const v1::BakeEvent& event) { result.events.push_back(event); });
  result.trailers = Trailers(context);
  return result;
}

grpc::Status StreamBake(v1::Baker::Stub* stub, grpc::ClientContext* context,
                        const std::function<bool(v1::BakeStreamRequest*)>& next,
                        const std::function<void(const v1::BakeEvent&)>& on_event) {
  std::unique_ptr<grpc::ClientReaderWriter<v1::BakeStreamRequest, v1::BakeEvent>> stream =
      stub->BakeStream(context);
  // Events come while the request is still being written: read them meanwhile.
  std::thread reader([&] {
    for (v1::BakeEvent event; stream->Read(&event);) on_event(event);
  });
  for (v1::BakeStreamRequest request; next(&request);) {
    if (!stream->Write(request)) break;  // the server finished early: read its status
  }
  stream->WritesDone();
  reader.join();
  return stream->Finish();
}

OpenStream::OpenStream(v1::Baker::Stub* stub, absl::Duration timeout) {
  SetTimeout(&context_, timeout);
  stream_ = stub->BakeStream(&context_);
}

CallResult OpenStream::Finish() {
  stream_->WritesDone();
  return AwaitEnd();
}

CallResult OpenStream::AwaitEnd() {
  CallResult result;
  for (v1::BakeEvent event; stream_->Read(&event);) result.events.push_back(event);
  result.status = stream_->Finish();
  return result;
}

HealthStatus CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& service) {
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(10));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status =
      grpc::health::v1::Health::NewStub(channel)->Check(&context, request, &response);
  return status.ok() ? response.status() : grpc::health::v1::HealthCheckResponse::UNKNOWN;
}

}  // namespace qbake::testing
