// gRPC's standard health service reports "" and "qbake.v1.Baker" SERVING, and
// server reflection lists the services, so generic tools work.
#include <algorithm>

#include "gtest/gtest.h"
#include "reflection_subset.pb.h"
#include "tests/server/server_test_support.h"
#include "tests/support/generic_exchange.h"

namespace qbake::testing {
namespace {

using ::qbake::test::ListServicesRequest;
using ::qbake::test::ListServicesResponse;

std::vector<std::string> ListedServices(const std::shared_ptr<grpc::Channel>& channel) {
  ListServicesRequest request;
  request.set_list_services("*");
  GenericExchange<ListServicesRequest, ListServicesResponse> exchange(
      channel, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", {request},
      absl::Seconds(10));
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
