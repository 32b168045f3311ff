#include "core/thread_pool.h"

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "gtest/gtest.h"

namespace qbake {
namespace {

TEST(ThreadPoolTest, RunsEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 5}) {
    ThreadPool pool(threads);
    std::vector<std::atomic<int>> hits(1000);
    pool.ParallelFor(hits.size(), [&](size_t i) { hits[i].fetch_add(1); });
    for (size_t i = 0; i < hits.size(); ++i) ASSERT_EQ(hits[i].load(), 1) << i;
  }
}

TEST(ThreadPoolTest, NestedLoopsFinishWithoutDeadlock) {
  ThreadPool pool(3);
  std::atomic<int> total{0};
  pool.ParallelFor(8, [&](size_t) { pool.ParallelFor(50, [&](size_t) { total.fetch_add(1); }); });
  EXPECT_EQ(total.load(), 400);
}

TEST(ThreadPoolTest, AnExceptionReachesTheCallerNotAWorker) {
  for (int threads : {1, 2, 5}) {
    ThreadPool pool(threads);
    std::atomic<int> running{0};
    EXPECT_THROW(pool.ParallelFor(1000,
                                  [&](size_t i) {
                                    running.fetch_add(1);
                                    if (i % 97 == 13) throw std::length_error("too long");
                                    running.fetch_sub(1);
                                  }),
                 std::length_error);
    // Every index that began has ended (the throwing ones left their count behind).
    EXPECT_LE(running.load(), 1000 / 97 + 1);
    // The pool goes on working.
    std::atomic<int> total{0};
    pool.ParallelFor(100, [&](size_t) { total.fetch_add(1); });
    EXPECT_EQ(total.load(), 100) << threads;
  }
}

TEST(ThreadPoolTest, UsesOneThreadPerCoreWhenAskedForZero) { EXPECT_GE(ThreadPool(0).size(), 1); }

TEST(ThreadPoolTest, ScheduledTasksRunOnAWorker) {
  ThreadPool pool(2);
  Mutex mu;
  CondVar done;
  bool ran = false;
  std::thread::id runner;
  pool.Schedule([&] {
    MutexLock lock(&mu);
    ran = true;
    runner = std::this_thread::get_id();
    done.SignalAll();
  });
  MutexLock lock(&mu);
  while (!ran) done.Wait(&mu);
  EXPECT_NE(runner, std::this_thread::get_id());
}

}  // namespace
}  // namespace qbake
