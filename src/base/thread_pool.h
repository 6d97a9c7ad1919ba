// A fixed pool of worker threads running queued tasks. Tasks must not wait
// for other tasks of the same pool (that can deadlock); only the submitting
// thread waits.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "base/status.h"

namespace lifeboat {

class ThreadPool {
 public:
  explicit ThreadPool(size_t threads);
  ~ThreadPool();  // finishes queued tasks, then joins
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  template <typename F>
  auto Submit(F&& fn) -> std::future<decltype(fn())> {
    using R = decltype(fn());
    auto task = std::make_shared<std::packaged_task<R()>>(std::forward<F>(fn));
    std::future<R> result = task->get_future();
    Enqueue([task] { (*task)(); });
    return result;
  }

  size_t size() const { return threads_.size(); }

  // Threads to use when the user did not say: the number of cores.
  static size_t DefaultThreads();

 private:
  void Enqueue(std::function<void()> fn);
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Calls fn(0) ... fn(count - 1) on up to `workers` threads (the caller's
// included). After the first error no new item starts; returns that error.
Status ParallelFor(size_t count, size_t workers, const std::function<Status(size_t)>& fn);

}  // namespace lifeboat
