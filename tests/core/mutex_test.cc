// core/mutex.h: the lock excludes, a signal wakes a waiter, and a timed wait returns.
#include "core/mutex.h"

#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace qbake {
namespace {

TEST(MutexTest, MutexLockExcludesOtherThreads) {
  Mutex mu;
  int64_t count = 0;  // plain, so that a race would lose increments (and TSan see it)
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) {
        MutexLock lock(&mu);
        ++count;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(count, 400000);
}

TEST(MutexTest, SignalWakesAWaiterThatThenSeesTheState) {
  struct Box {
    Mutex mu;
    CondVar changed;
    int value ABSL_GUARDED_BY(mu) = 0;
  } box;
  std::thread producer([&box] {
    for (int i = 1; i <= 1000; ++i) {
      MutexLock lock(&box.mu);
      box.value = i;
      box.changed.SignalAll();
    }
  });
  {
    MutexLock lock(&box.mu);
    while (box.value != 1000) box.changed.Wait(&box.mu);
    EXPECT_EQ(box.value, 1000);
  }
  producer.join();
}

TEST(MutexTest, WaitUntilReturnsWithoutASignal) {
  Mutex mu;
  CondVar never;
  const absl::Time deadline = absl::Now() + absl::Milliseconds(20);
  MutexLock lock(&mu);
  while (absl::Now() < deadline) never.WaitUntil(&mu, deadline);
  EXPECT_GE(absl::Now(), deadline);
}

TEST(MutexTest, WaitUntilAPastDeadlineReturnsAtOnce) {
  Mutex mu;
  CondVar never;
  MutexLock lock(&mu);
  never.WaitUntil(&mu, absl::Now() - absl::Seconds(1));  // would hang the test if it waited
  SUCCEED();
}

}  // namespace
}  // namespace qbake
