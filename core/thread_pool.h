// A fixed pool of worker threads. ParallelFor splits an index range into tasks that
// run on the workers and on the calling thread; it returns when all are done, so
// nested use from inside a task is safe (the caller helps instead of waiting idle).
// Schedule runs one task later on a worker (inline for a pool of 1).
#ifndef QBAKE_CORE_THREAD_POOL_H_
#define QBAKE_CORE_THREAD_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "core/mutex.h"

namespace qbake {

class ThreadPool {
 public:
  // `threads` <= 0 means one per hardware thread. A pool of 1 runs everything inline.
  explicit ThreadPool(int threads);
  ~ThreadPool();

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return size_; }

  // Calls fn(i) for every i in [0, count), spread over the pool; blocks until done.
  // When fn throws, the first exception is rethrown here, on the calling thread,
  // once no index is running any more (indices not yet begun may be skipped or run).
  void ParallelFor(size_t count, const std::function<void(size_t)>& fn);

  // Queues `task` for a worker and returns at once; a pool of 1 runs it inline.
  // `task` must not throw (a worker has no one to give an exception to).
  void Schedule(std::function<void()> task);

 private:
  void WorkerLoop();

  const int size_;
  Mutex mu_;
  CondVar work_;  // a task queued, or stopping
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace qbake

#endif  // QBAKE_CORE_THREAD_POOL_H_
