#include "core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <memory>

namespace qbake {
namespace {

// The shared state of one ParallelFor: indices are claimed one at a time by the
// caller and by helper tasks; the caller waits until every index has finished.
struct ParallelLoop {
  explicit ParallelLoop(size_t count, const std::function<void(size_t)>& fn)
      : count(count), fn(fn) {}

  // Claims and runs indices until none is left.
  void Drain() {
    for (size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      fn(i);
      absl::MutexLock lock(&mu);
      ++finished;
    }
  }

  const size_t count;
  const std::function<void(size_t)>& fn;
  std::atomic<size_t> next{0};
  absl::Mutex mu;
  size_t finished ABSL_GUARDED_BY(mu) = 0;
};

}  // namespace

ThreadPool::ThreadPool(int threads)
    : size_(threads > 0 ? threads
                        : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))) {
  for (int i = 1; i < size_; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
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
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < helpers; ++i) tasks_.emplace_back([loop] { loop->Drain(); });
  }
  loop->Drain();
  absl::MutexLock lock(&loop->mu);
  loop->mu.Await(absl::Condition(
      +[](ParallelLoop* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->mu) { return l->finished == l->count; },
      loop.get()));
}

void ThreadPool::Schedule(std::function<void()> task) {
  if (workers_.empty()) {
    task();
    return;
  }
  absl::MutexLock lock(&mu_);
  tasks_.push_back(std::move(task));
}

void ThreadPool::WorkerLoop() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ThreadPool* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
            return p->stopping_ || !p->tasks_.empty();
          },
          this));
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace qbake
