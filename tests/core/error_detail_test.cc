// Errors carry a stable reason and, where they name one, the site of the config:
// through rewording, and from the core's config and parameter errors.
#include "core/error_detail.h"

#include "common/status_util.h"
#include "core/config_error.h"
#include "gtest/gtest.h"

namespace qbake {
namespace {

TEST(ErrorDetailTest, AStatusWithoutAReasonHasTheOneItsCodeImplies) {
  EXPECT_EQ(ErrorReason(absl::OkStatus()), "");
  EXPECT_EQ(ErrorReason(absl::InvalidArgumentError("x")), "REQUEST_INVALID");
  EXPECT_EQ(ErrorReason(absl::FailedPreconditionError("x")), "MODEL_UNSUPPORTED");
  EXPECT_EQ(ErrorReason(absl::ResourceExhaustedError("x")), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(ErrorReason(absl::UnavailableError("x")), "UNAVAILABLE");
  EXPECT_EQ(ErrorReason(absl::DeadlineExceededError("x")), "DEADLINE_EXCEEDED");
  EXPECT_EQ(ErrorReason(absl::CancelledError("x")), "CANCELLED");
  EXPECT_EQ(ErrorReason(absl::UnauthenticatedError("x")), "UNAUTHENTICATED");
  EXPECT_EQ(ErrorReason(absl::UnknownError("x")), "INTERNAL");
  EXPECT_EQ(ErrorReason(WithReason(absl::InvalidArgumentError("x"), error_reason::kModelInvalid)),
            "MODEL_INVALID");
}

TEST(ErrorDetailTest, ASiteComesBackWhateverBytesItsNamesHold) {
  EXPECT_FALSE(SiteOf(absl::InvalidArgumentError("x")).has_value());
  for (const ErrorSite& site :
       {ErrorSite{"/conv1/Conv", "onnx::Conv_1", "scale"}, ErrorSite{"", "", "dims"},
        ErrorSite{"3:abc", std::string("a\0b:", 4), "12:"}}) {
    const std::optional<ErrorSite> back = SiteOf(WithSite(absl::InternalError("x"), site));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, site);
  }
}

TEST(ErrorDetailTest, RewordingKeepsCodeReasonSiteAndOtherPayloads) {
  absl::Status status =
      WithSite(WithReason(absl::InvalidArgumentError("first"), error_reason::kConfigInvalid),
               {"a", "b", "c"});
  status.SetPayload("type.googleapis.com/google.rpc.RetryInfo", absl::Cord("hint"));
  const absl::Status annotated = Annotate(Reworded(status, "second"), "context");
  EXPECT_EQ(annotated.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(annotated.message(), "context: second");
  EXPECT_EQ(ErrorReason(annotated), "CONFIG_INVALID");
  EXPECT_EQ(SiteOf(annotated), (ErrorSite{"a", "b", "c"}));
  EXPECT_EQ(annotated.GetPayload("type.googleapis.com/google.rpc.RetryInfo"), absl::Cord("hint"));
}

TEST(ErrorDetailTest, AConfigErrorIsConfigInvalidAtItsSite) {
  const absl::Status error = ConfigError("op", "var", "scale", "must be positive");
  EXPECT_EQ(error.message(), "operation 'op', variable 'var', field 'scale': must be positive");
  EXPECT_EQ(ErrorReason(error), "CONFIG_INVALID");
  EXPECT_EQ(SiteOf(error), (ErrorSite{"op", "var", "scale"}));
}

TEST(ErrorDetailTest, AParametersValueOrTensorFieldIsModelInvalidAtItsSite) {
  const absl::Status value = ParameterValueError("op", "var", "holds nan");
  EXPECT_EQ(ErrorReason(value), "MODEL_INVALID");
  EXPECT_EQ(SiteOf(value), (ErrorSite{"op", "var", "value"}));

  const absl::Status placed =
      ConfigSiteError("op", "var", TensorFieldError("raw_data", "holds 3 bytes"));
  EXPECT_EQ(placed.message(), "operation 'op', variable 'var', field 'raw_data': holds 3 bytes");
  EXPECT_EQ(ErrorReason(placed), "MODEL_INVALID");
  EXPECT_EQ(SiteOf(placed), (ErrorSite{"op", "var", "raw_data"}));
}

}  // namespace
}  // namespace qbake
