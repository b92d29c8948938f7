// A runner storage decorator for fault injection: while `cut` is set, every
// call fails as if the database were unreachable from this runner; while
// `full` is set, writes fail as on a full disk (reads still work); while a
// hang is set, lease refreshes block as on a database that stopped answering
// (for tests with real threads only: it blocks the calling thread).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "caf_cluster/testing/cuttable_runner_driver.hpp"

namespace caf_cluster::testing {

class faulty_runner_driver final : public cuttable_runner_driver {
public:
  using cuttable_runner_driver::cuttable_runner_driver;

  /// While true, every write fails with SQLite's disk-full message.
  std::atomic<bool> full{false};

  caf::expected<int32_t> register_runner(const storage::runner_row& row,
                                         int32_t spg, int64_t now,
                                         int64_t lease) override {
    if (full)
      return disk_full("register runner " + row.address);
    return cuttable_runner_driver::register_runner(row, spg, now, lease);
  }

  caf::expected<std::vector<storage::lease_grant>>
  acquire(const std::string& runner, const std::vector<std::string>& shards,
          int64_t now, int64_t lease) override {
    if (full)
      return disk_full("acquire leases for runner " + runner);
    return cuttable_runner_driver::acquire(runner, shards, now, lease);
  }

  caf::error release(const std::string& runner,
                     const std::vector<std::string>& shards) override {
    if (full)
      return disk_full("release leases of runner " + runner);
    return cuttable_runner_driver::release(runner, shards);
  }

  caf::error release_all(const std::string& runner) override {
    if (full)
      return disk_full("release all leases of runner " + runner);
    return cuttable_runner_driver::release_all(runner);
  }

  /// With `on`, every `refresh` blocks until `hang_refresh(false)`.
  void hang_refresh(bool on) {
    std::lock_guard<std::mutex> guard{hang_mtx_};
    hang_ = on;
    hang_cv_.notify_all();
  }

  /// Returns whether a `refresh` is blocked in a hang now.
  bool hanging() const {
    std::lock_guard<std::mutex> guard{hang_mtx_};
    return blocked_ > 0;
  }

  caf::expected<std::vector<storage::lease_grant>>
  refresh(const std::string& runner, const std::vector<std::string>& shards,
          int64_t now, int64_t lease) override {
    {
      std::unique_lock<std::mutex> guard{hang_mtx_};
      ++blocked_;
      hang_cv_.wait(guard, [this] { return !hang_; });
      --blocked_;
    }
    if (full)
      return disk_full("refresh leases of runner " + runner);
    return cuttable_runner_driver::refresh(runner, shards, now, lease);
  }

private:
  // What the SQLite backend says when the disk (or max_page_count) is full.
  static caf::error disk_full(const std::string& what) {
    return caf::make_error(storage::errc::io_error,
                           what + " in /data/cluster.db: database or disk is "
                                  "full");
  }

  mutable std::mutex hang_mtx_;
  std::condition_variable hang_cv_;
  bool hang_ = false;
  int blocked_ = 0;
};

} // namespace caf_cluster::testing
