// MemoryBudget: what calls hold together stays within the limit, a refused charge
// takes nothing, and an ended call gives all back.
#include "server/memory_budget.h"

#include <memory>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qbake {
namespace {

using ::testing::HasSubstr;

TEST(MemoryBudgetTest, RefusesWhatWouldPassTheLimitAndChargesNothingThen) {
  MemoryBudget budget(100);
  MemoryBudget::Account first(&budget);
  MemoryBudget::Account second(&budget);
  EXPECT_TRUE(first.Charge(60).ok());
  const absl::Status refused = second.Charge(41);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(),
              HasSubstr("hold 60 bytes of requests; 41 more would pass its limit of 100 "
                        "(--max-memory)"));
  EXPECT_EQ(budget.held(), 60u);
  EXPECT_TRUE(second.Charge(40).ok());
  EXPECT_EQ(budget.held(), 100u);
}

TEST(MemoryBudgetTest, AnEndedCallGivesAllBack) {
  MemoryBudget budget(100);
  {
    MemoryBudget::Account call(&budget);
    ASSERT_TRUE(call.Charge(30).ok());
    ASSERT_TRUE(call.Charge(30).ok());
    call.Release();
    EXPECT_EQ(budget.held(), 0u);
    ASSERT_TRUE(call.Charge(70).ok());
  }
  EXPECT_EQ(budget.held(), 0u);
}

TEST(MemoryBudgetTest, ZeroIsNoLimit) {
  MemoryBudget budget(0);
  MemoryBudget::Account call(&budget);
  EXPECT_TRUE(call.Charge(uint64_t{1} << 62).ok());
}

TEST(MemoryBudgetTest, CallsChargingAtOnceNeverHoldMoreThanTheLimit) {
  constexpr uint64_t kLimit = 1000;
  MemoryBudget budget(kLimit);
  std::vector<std::unique_ptr<MemoryBudget::Account>> accounts;
  std::vector<uint64_t> charged(8, 0);
  for (size_t i = 0; i < charged.size(); ++i) {
    accounts.push_back(std::make_unique<MemoryBudget::Account>(&budget));
  }
  std::vector<std::thread> calls;
  for (size_t i = 0; i < charged.size(); ++i) {
    calls.emplace_back([&accounts, &charged, i] {
      for (int step = 0; step < 1000; ++step) {
        if (accounts[i]->Charge(7).ok()) charged[i] += 7;
      }
    });
  }
  for (std::thread& call : calls) call.join();
  uint64_t total = 0;
  for (uint64_t bytes : charged) total += bytes;
  EXPECT_EQ(budget.held(), total);
  // Every 7 bytes that fit were taken: less than 7 are left.
  EXPECT_LE(total, kLimit);
  EXPECT_GT(total, kLimit - 7);
  accounts.clear();
  EXPECT_EQ(budget.held(), 0u);
}

}  // namespace
}  // namespace qbake
