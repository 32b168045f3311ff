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
      MutexLock lock(&mu);
      if (thrown && !first_exception) first_exception = thrown;
      if (++finished == count) done.SignalAll();
    }
  }

  const size_t count;
  const std::function<void(size_t)>& fn;
  std::atomic<size_t> next{0};
  Mutex mu;
  CondVar done;
  size_t finished ABSL_GUARDED_BY(mu) = 0;
  std::exception_ptr first_exception ABSL_GUARDED_BY(mu);
};

}  // namespace

ThreadPool::ThreadPool(int threads)
    : size_(threads > 0 ? threads
                        : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))) {
  for (int i = 1; i < size_; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  work_.SignalAll();
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
    MutexLock lock(&mu_);
    for (size_t i = 0; i < helpers; ++i) tasks_.emplace_back([loop] { loop->Drain(); });
  }
  work_.SignalAll();
  loop->Drain();
  std::exception_ptr thrown;
  {
    MutexLock lock(&loop->mu);
    while (loop->finished != loop->count) loop->done.Wait(&loop->mu);
    thrown = loop->first_exception;
  }
  if (thrown) std::rethrow_exception(thrown);
}

void ThreadPool::Schedule(std::function<void()> task) {
  if (workers_.empty()) {
    task();
    return;
  }
  {
    MutexLock lock(&mu_);
    tasks_.push_back(std::move(task));
  }
  work_.Signal();
}

void ThreadPool::WorkerLoop() {
  while (true) {
    std::function<void()> task;
    {
      MutexLock lock(&mu_);
      while (!stopping_ && tasks_.empty()) work_.Wait(&mu_);
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace qbake
