#include "caf_cluster/gateway/internal/cached_reader.hpp"

#include <utility>

namespace caf_cluster::gateway::internal {

cached_reader::cached_reader(
  std::function<caf::expected<cluster_reading>()> read,
  std::chrono::milliseconds max_age)
  : read_(std::move(read)), max_age_(max_age) {
  thread_ = std::thread{[this] {
    run();
  }};
}

cached_reader::~cached_reader() {
  stop();
}

void cached_reader::get(callback f) {
  std::unique_lock<std::mutex> guard{mtx_};
  if (stopping_)
    return;
  if (cached_ && std::chrono::steady_clock::now() - cached_at_ < max_age_) {
    auto hit = cached_;
    guard.unlock();
    f(std::move(hit));
    return;
  }
  waiting_.push_back(std::move(f));
  cv_.notify_one();
}

void cached_reader::stop() {
  {
    std::unique_lock<std::mutex> guard{mtx_};
    stopping_ = true;
    waiting_.clear();
  }
  cv_.notify_one();
  if (thread_.joinable())
    thread_.join();
}

void cached_reader::run() {
  std::unique_lock<std::mutex> guard{mtx_};
  for (;;) {
    cv_.wait(guard, [this] {
      return stopping_ || !waiting_.empty();
    });
    if (stopping_)
      return;
    guard.unlock();
    auto result
      = std::make_shared<const caf::expected<cluster_reading>>(read_());
    guard.lock();
    cached_ = result;
    cached_at_ = std::chrono::steady_clock::now();
    // Whoever asked while the read ran gets its result: no second query.
    auto ready = std::move(waiting_);
    waiting_.clear();
    guard.unlock();
    for (auto& f : ready)
      f(result);
    guard.lock();
  }
}

} // namespace caf_cluster::gateway::internal
