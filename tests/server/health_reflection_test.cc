// gRPC's standard health service reports "" and "qbake.v1.Baker" SERVING, and
// server reflection lists the services, so generic tools work.
#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "reflection_subset.pb.h"
#include "tests/server/server_test_support.h"

namespace qbake::testing {
namespace {

using ::qbake::test::ListServicesRequest;
using ::qbake::test::ListServicesResponse;

// One ServerReflectionInfo exchange: sends `request`, half-closes, keeps the
// responses, and signals when the call is done.
class ReflectionExchange
    : public grpc::ClientBidiReactor<ListServicesRequest, ListServicesResponse> {
 public:
  explicit ReflectionExchange(ListServicesRequest request) : request_(std::move(request)) {}

  void Start() {
    StartWrite(&request_);
    StartRead(&response_);
    StartCall();
  }
  void OnWriteDone(bool /*ok*/) override { StartWritesDone(); }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    responses_.push_back(response_);
    StartRead(&response_);
  }
  void OnDone(const grpc::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    done_ = true;
    cv_.notify_all();
  }
  grpc::Status Await() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return done_; });
    return status_;
  }
  const std::vector<ListServicesResponse>& responses() const { return responses_; }

 private:
  ListServicesRequest request_;
  ListServicesResponse response_;
  std::vector<ListServicesResponse> responses_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  grpc::Status status_;
};

std::vector<std::string> ListedServices(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::TemplatedGenericStub<ListServicesRequest, ListServicesResponse> stub(channel);
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(10));
  ListServicesRequest request;
  request.set_list_services("*");
  ReflectionExchange exchange(request);
  stub.PrepareBidiStreamingCall(&context,
                                "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                grpc::StubOptions(), &exchange);
  exchange.Start();
  const grpc::Status status = exchange.Await();
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> names;
  for (const ListServicesResponse& response : exchange.responses()) {
    for (const auto& service : response.list_services_response().service()) {
      names.push_back(service.name());
    }
  }
  return names;
}

TEST(HealthReflectionTest, HealthReportsServingForTheServerAndTheBaker) {
  TestServer server;
  EXPECT_EQ(CheckHealth(server.channel()), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(CheckHealth(server.channel(), "qbake.v1.Baker"),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(HealthReflectionTest, HealthDoesNotKnowOtherServices) {
  TestServer server;
  grpc::ClientContext context;
  SetTimeout(&context, absl::Seconds(10));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("no.such.Service");
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status =
      grpc::health::v1::Health::NewStub(server.channel())->Check(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST(HealthReflectionTest, ReflectionListsTheBakerAndHealthServices) {
  TestServer server;
  const std::vector<std::string> services = ListedServices(server.channel());
  EXPECT_NE(std::find(services.begin(), services.end(), "qbake.v1.Baker"), services.end());
  EXPECT_NE(std::find(services.begin(), services.end(), "grpc.health.v1.Health"), services.end());
}

}  // namespace
}  // namespace qbake::testing
