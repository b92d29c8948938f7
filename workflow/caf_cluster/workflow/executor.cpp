#include "caf_cluster/workflow/executor.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace caf_cluster::workflow {

executor::~executor() {
  // nop
}

namespace {

// The state the threads share. Each thread holds it, so a thread never
// touches a destroyed pool, also when the pool's last reference went away in
// one of its own jobs.
struct pool_state {
  std::mutex mtx;
  std::condition_variable cv;
  std::deque<std::function<void()>> jobs;
  bool stop = false;
  // Set by executor::stop: later jobs are dropped.
  bool stopped = false;
};

void pool_loop(std::shared_ptr<pool_state> s) {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> guard{s->mtx};
      s->cv.wait(guard, [&s] {
        return s->stop || !s->jobs.empty();
      });
      if (s->jobs.empty())
        return;
      job = std::move(s->jobs.front());
      s->jobs.pop_front();
    }
    try {
      job();
    } catch (...) {
      // A job reports its own failures; nothing may end the thread.
    }
    // Destroyed here, outside the lock: it may hold the pool's last
    // reference.
    job = nullptr;
  }
}

class thread_pool final : public executor {
public:
  explicit thread_pool(size_t n) : state_(std::make_shared<pool_state>()) {
    for (size_t i = 0; i < std::max(n, size_t{1}); ++i)
      threads_.emplace_back(pool_loop, state_);
  }

  ~thread_pool() override {
    {
      std::lock_guard<std::mutex> guard{state_->mtx};
      state_->stop = true;
    }
    state_->cv.notify_all();
    // Never join from one of the pool's own threads (the last reference went
    // away in a job): the threads then finish the queued jobs and end alone.
    auto self = std::this_thread::get_id();
    auto in_pool = std::any_of(threads_.begin(), threads_.end(),
                               [self](const std::thread& t) {
                                 return t.get_id() == self;
                               });
    for (auto& t : threads_)
      if (in_pool)
        t.detach();
      else
        t.join();
  }

  void run(std::function<void()> job) override {
    {
      std::lock_guard<std::mutex> guard{state_->mtx};
      if (state_->stopped)
        return;
      state_->jobs.push_back(std::move(job));
    }
    state_->cv.notify_one();
  }

  void stop() override {
    std::deque<std::function<void()>> dropped;
    {
      std::lock_guard<std::mutex> guard{state_->mtx};
      state_->stopped = true;
      state_->stop = true;
      dropped.swap(state_->jobs);
    }
    state_->cv.notify_all();
    // `dropped` goes here, outside the lock.
  }

private:
  std::shared_ptr<pool_state> state_;
  std::vector<std::thread> threads_;
};

class inline_executor final : public executor {
public:
  void run(std::function<void()> job) override {
    job();
  }

  bool runs_inline() const override {
    return true;
  }
};

} // namespace

std::shared_ptr<executor> make_thread_pool_executor(size_t threads) {
  return std::make_shared<thread_pool>(threads);
}

std::shared_ptr<executor> make_inline_executor() {
  return std::make_shared<inline_executor>();
}

} // namespace caf_cluster::workflow
