// Storage reads block, and the HTTP server has one I/O thread that must never
// wait: a cached_reader runs the read on a thread of its own, one read at a
// time, and hands everyone who asked within `max_age` the same result, so a
// room full of dashboards costs one query per period.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "caf/expected.hpp"

#include "caf_cluster/gateway/internal/cluster_reading.hpp"

namespace caf_cluster::gateway::internal {

/// Runs a blocking read off the caller's thread and caches its result.
class cached_reader {
public:
  /// A result, shared by everyone who gets it.
  using result_ptr = std::shared_ptr<const caf::expected<cluster_reading>>;

  /// Receives a result, on the caller's thread (cache hit) or the reader's.
  using callback = std::function<void(result_ptr)>;

  /// Starts the thread that calls `read` whenever a caller finds no result
  /// younger than `max_age` (errors are cached too, so a failing database is
  /// not hammered).
  cached_reader(std::function<caf::expected<cluster_reading>()> read,
                std::chrono::milliseconds max_age);

  /// Stops the thread (see stop).
  ~cached_reader();

  cached_reader(const cached_reader&) = delete;

  cached_reader& operator=(const cached_reader&) = delete;

  /// Calls `f` with a result no older than `max_age`: at once from the
  /// cache, else after the next read. Never blocks on the read.
  void get(callback f);

  /// Stops the thread after the read under way; callbacks still waiting are
  /// dropped. Idempotent; not from a callback.
  void stop();

private:
  void run();

  std::function<caf::expected<cluster_reading>()> read_;
  std::chrono::milliseconds max_age_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<callback> waiting_;
  result_ptr cached_;
  std::chrono::steady_clock::time_point cached_at_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace caf_cluster::gateway::internal
