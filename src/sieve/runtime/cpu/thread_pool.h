// A small fixed thread pool for the CPU engine: parallel_for over task indices, the calling
// thread taking part as worker 0. std::thread only (no OpenMP: the build does not use it).
//
// Contract: ThreadPool(n) starts n - 1 threads (n >= 1; n == 1 runs every task inline).
// parallel_for(tasks, fn) calls fn(task, worker) once for every task in [0, tasks), on worker
// ids in [0, size()), and returns when all have finished; tasks are handed out in increasing
// order, dynamically. fn must not throw and must not call parallel_for on the same pool.
// Thread-safety: one parallel_for at a time per pool (the session runs one inference at a time).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sieve::runtime::cpu {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  void parallel_for(int64_t tasks, const std::function<void(int64_t task, int worker)>& fn);

 private:
  void work(int worker);  // runs tasks of the current job until none are left
  void loop(int worker);  // a pool thread's life

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int)>* job_ = nullptr;
  int64_t tasks_ = 0;
  int64_t next_ = 0;     // next task to hand out (under mu_)
  int64_t finished_ = 0; // tasks finished (under mu_)
  uint64_t generation_ = 0;
  bool stop_ = false;
};

}  // namespace sieve::runtime::cpu
