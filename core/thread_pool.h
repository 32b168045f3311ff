// A fixed pool of worker threads. ParallelFor splits an index range into tasks that
// run on the workers and on the calling thread; it returns when all are done, so
// nested use from inside a task is safe (the caller helps instead of waiting idle).
// Schedule runs one task later on a worker (inline for a pool of 1).
#ifndef QBAKE_CORE_THREAD_POOL_H_
#define QBAKE_CORE_THREAD_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

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
  // std::mutex rather than absl::Mutex, here and throughout: ThreadSanitizer sees
  // pthread locks, but not those of an Abseil built without it (Debian's).
  std::mutex mu_;
  std::condition_variable work_;             // a task queued, or stopping
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace qbake

#endif  // QBAKE_CORE_THREAD_POOL_H_
