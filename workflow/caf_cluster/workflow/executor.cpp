#include "caf_cluster/workflow/executor.hpp"

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

class thread_pool final : public executor {
public:
  explicit thread_pool(size_t n) {
    for (size_t i = 0; i < std::max(n, size_t{1}); ++i)
      threads_.emplace_back([this] {
        loop();
      });
  }

  ~thread_pool() override {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
      if (t.get_id() == std::this_thread::get_id())
        t.detach(); // the last reference went away in a job
      else
        t.join();
  }

  void run(std::function<void()> job) override {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

private:
  void loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> guard{mtx_};
        cv_.wait(guard, [this] {
          return stop_ || !jobs_.empty();
        });
        if (jobs_.empty())
          return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      try {
        job();
      } catch (...) {
        // A job reports its own failures; nothing may end the thread.
      }
    }
  }

  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

class inline_executor final : public executor {
public:
  void run(std::function<void()> job) override {
    job();
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
