#include "core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>

namespace qbake {
namespace {

// The shared state of one ParallelFor: indices are claimed one at a time by the
// caller and by helper tasks; the caller waits until every index has finished.
struct ParallelLoop {
  explicit ParallelLoop(size_t count, const std::function<void(size_t)>& fn)
      : count(count), fn(fn) {}

  // Claims and runs indices until none is left. An exception from fn is kept (the
  // first one) for the caller, never let out on a worker's thread.
  void Drain() {
    for (size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      std::exception_ptr thrown;
      try {
        fn(i);
      } catch (...) {
        thrown = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mu);
      if (thrown && !first_exception) first_exception = thrown;
      if (++finished == count) done.notify_all();
    }
  }

  const size_t count;
  const std::function<void(size_t)>& fn;
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::condition_variable done;
  size_t finished = 0;                 // guarded by mu
  std::exception_ptr first_exception;  // guarded by mu
};

}  // namespace

ThreadPool::ThreadPool(int threads)
    : size_(threads > 0 ? threads
                        : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))) {
  for (int i = 1; i < size_; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::ParallelFor(size_t count, const std::function<void(size_t)>& fn) {
  if (size_ == 1 || count <= 1) {
    for (size_t i = 0; i < count; ++i) fn(i);
    return;
  }
  auto loop = std::make_shared<ParallelLoop>(count, fn);
  const size_t helpers = std::min(count - 1, workers_.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < helpers; ++i) tasks_.emplace_back([loop] { loop->Drain(); });
  }
  work_.notify_all();
  loop->Drain();
  std::unique_lock<std::mutex> lock(loop->mu);
  loop->done.wait(lock, [&loop] { return loop->finished == loop->count; });
  if (loop->first_exception) std::rethrow_exception(loop->first_exception);
}

void ThreadPool::Schedule(std::function<void()> task) {
  if (workers_.empty()) {
    task();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
  }
  work_.notify_one();
}

void ThreadPool::WorkerLoop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace qbake
