// The one mapping between absl::Status and gRPC's: every error crosses with its
// reason and site as google.rpc.ErrorInfo and BadRequest, any client can read them
// from the details, and the C++ client gets back the status the server had.
#include "proto/status_mapping.h"

#include "core/config_error.h"
#include "core/error_detail.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace qbake {
namespace {

google::rpc::Status DetailsOf(const grpc::Status& status) {
  google::rpc::Status details;
  EXPECT_TRUE(details.ParseFromString(status.error_details()));
  return details;
}

TEST(StatusMappingTest, AConfigErrorCarriesErrorInfoAndAFieldViolation) {
  const absl::Status error = ConfigError("/conv~1/Conv", "w", "scale", "must be positive");
  const grpc::Status sent = ToGrpcStatus(error);
  EXPECT_EQ(sent.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(sent.error_message(), error.message());

  const google::rpc::Status details = DetailsOf(sent);
  EXPECT_EQ(details.code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(details.message(), error.message());
  ASSERT_EQ(details.details_size(), 2);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "CONFIG_INVALID");
  EXPECT_EQ(info.domain(), "qbake.dev");
  EXPECT_EQ(info.metadata().at("operation"), "/conv~1/Conv");
  EXPECT_EQ(info.metadata().at("variable"), "w");
  EXPECT_EQ(info.metadata().at("field"), "scale");
  google::rpc::BadRequest request;
  ASSERT_TRUE(details.details(1).UnpackTo(&request));
  ASSERT_EQ(request.field_violations_size(), 1);
  EXPECT_EQ(request.field_violations(0).field(), "/configs/~1conv~01~1Conv/w/scale");
  EXPECT_EQ(request.field_violations(0).description(), error.message());

  const absl::Status received = FromGrpcStatus(sent);
  EXPECT_EQ(received, error);
  EXPECT_EQ(ErrorReason(received), "CONFIG_INVALID");
  EXPECT_EQ(SiteOf(received), (ErrorSite{"/conv~1/Conv", "w", "scale"}));
}

TEST(StatusMappingTest, EveryErrorHasAReasonAndARetryHintCrossesAsItIs) {
  const absl::Status busy =
      WithRetryDelay(WithReason(absl::ResourceExhaustedError("busy"), error_reason::kServerBusy),
                     absl::Milliseconds(1500));
  const google::rpc::Status details = DetailsOf(ToGrpcStatus(busy));
  ASSERT_EQ(details.details_size(), 2);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "SERVER_BUSY");
  EXPECT_TRUE(info.metadata().empty());
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(details.details(1).UnpackTo(&retry));
  EXPECT_EQ(retry.retry_delay().seconds(), 1);
  EXPECT_EQ(retry.retry_delay().nanos(), 500000000);

  const absl::Status received = FromGrpcStatus(ToGrpcStatus(busy));
  EXPECT_EQ(received, busy);
  EXPECT_EQ(RetryDelay(received), absl::Milliseconds(1500));

  google::rpc::ErrorInfo plain;
  ASSERT_TRUE(DetailsOf(ToGrpcStatus(absl::CancelledError("gone"))).details(0).UnpackTo(&plain));
  EXPECT_EQ(plain.reason(), "CANCELLED");
}

TEST(StatusMappingTest, AStatusGrpcGaveWithoutDetailsHasTheReasonOfItsCode) {
  const absl::Status received =
      FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"));
  EXPECT_EQ(received, absl::UnavailableError("connection refused"));
  EXPECT_EQ(ErrorReason(received), "UNAVAILABLE");
  EXPECT_FALSE(SiteOf(received).has_value());
  EXPECT_EQ(FromGrpcStatus(grpc::Status(grpc::StatusCode::INTERNAL, "x", "not a proto\xff")),
            absl::InternalError("x"));
}

// An ONNX name may hold any bytes; a proto3 string only UTF-8, else no client parses
// the details. The message travels as it is.
TEST(StatusMappingTest, NamesThatAreNotUtf8StillGiveDetailsEveryClientParses) {
  // A stray byte, an overlong '/', a cut sequence; a surrogate; a code point above
  // U+10FFFF beside a well-formed 4-byte one.
  const absl::Status error = ConfigError("conv\xff\xc0\xafx\xe2\x82", "w\xed\xa0\x80",
                                         "a\xf4\x90\x80\x80"
                                         "b\xf0\x9f\x98\x80",
                                         "bad");
  const grpc::Status sent = ToGrpcStatus(error);
  EXPECT_EQ(sent.error_message(), error.message());
  const google::rpc::Status details = DetailsOf(sent);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  const std::string replaced = "\xef\xbf\xbd";
  EXPECT_EQ(info.metadata().at("operation"),
            "conv" + replaced + replaced + replaced + "x" + replaced + replaced);
  EXPECT_EQ(info.metadata().at("variable"), "w" + replaced + replaced + replaced);
  EXPECT_EQ(info.metadata().at("field"),
            "a" + replaced + replaced + replaced + replaced + "b\xf0\x9f\x98\x80");
  const absl::Status received = FromGrpcStatus(sent);
  EXPECT_EQ(received.message(), error.message());
  EXPECT_EQ(ErrorReason(received), "CONFIG_INVALID");
  EXPECT_EQ(SiteOf(received)->variable, "w" + replaced + replaced + replaced);
}

}  // namespace
}  // namespace qbake
