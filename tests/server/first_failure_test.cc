#include "server/first_failure.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace qbake {
namespace {

const absl::Status kFirst = absl::InvalidArgumentError("parameter 1");
const absl::Status kLater = absl::InvalidArgumentError("parameter 3");

TEST(FirstFailureTest, NothingIsDecidedWhileAllBake) {
  FirstFailure failure(3);
  for (size_t i = 0; i < 3; ++i) failure.Settle(i, absl::OkStatus());
  EXPECT_TRUE(failure.Decided().ok());
  EXPECT_FALSE(failure.failed());
}

TEST(FirstFailureTest, AFailureWaitsForEveryParameterBeforeIt) {
  FirstFailure failure(4);
  failure.Settle(3, kLater);
  EXPECT_TRUE(failure.failed());
  EXPECT_TRUE(failure.Decided().ok());  // 0, 1 and 2 may still fail first
  EXPECT_TRUE(failure.Matters(2));
  EXPECT_FALSE(failure.Matters(3));
  failure.Settle(0, absl::OkStatus());
  failure.Settle(2, absl::OkStatus());
  EXPECT_TRUE(failure.Decided().ok());
  failure.Settle(1, absl::OkStatus());
  EXPECT_EQ(failure.Decided(), kLater);
}

TEST(FirstFailureTest, AnEarlierFailureArrivingLaterWins) {
  FirstFailure failure(4);
  failure.Settle(0, absl::OkStatus());
  failure.Settle(3, kLater);
  failure.Settle(1, kFirst);
  EXPECT_FALSE(failure.Matters(2));
  EXPECT_EQ(failure.Decided(), kFirst);
}

TEST(FirstFailureTest, AFailureOfTheFirstParameterIsDecidedAtOnce) {
  FirstFailure failure(2);
  failure.Settle(0, kFirst);
  EXPECT_EQ(failure.Decided(), kFirst);
  failure.Settle(1, kLater);  // after it: changes nothing
  EXPECT_EQ(failure.Decided(), kFirst);
}

}  // namespace
}  // namespace qbake
