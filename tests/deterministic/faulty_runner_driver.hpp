// A runner storage decorator for fault injection: while `cut` is set, every
// call fails as if the database were unreachable from this runner; while a
// hang is set, lease refreshes block as on a database that stopped answering
// (for tests with real threads only: it blocks the calling thread).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/runner_driver.hpp"

namespace caf_cluster::testing {

class faulty_runner_driver final : public storage::runner_driver {
public:
  explicit faulty_runner_driver(std::shared_ptr<storage::runner_driver> inner)
    : inner_(std::move(inner)) {
    // nop
  }

  /// While true, every call fails with `storage::errc::io_error`.
  std::atomic<bool> cut{false};

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

  caf::expected<int32_t> register_runner(const storage::runner_row& row,
                                         int32_t spg, int64_t now,
                                         int64_t lease) override {
    if (cut)
      return failure();
    return inner_->register_runner(row, spg, now, lease);
  }

  caf::error unregister_runner(const std::string& address) override {
    return cut ? failure() : inner_->unregister_runner(address);
  }

  caf::expected<std::vector<storage::runner_row>>
  live_runners(int64_t now, int64_t lease) override {
    if (cut)
      return failure();
    return inner_->live_runners(now, lease);
  }

  caf::expected<std::vector<storage::runner_row>> all_runners() override {
    if (cut)
      return failure();
    return inner_->all_runners();
  }

  caf::error set_health(const std::string& address, bool healthy) override {
    return cut ? failure() : inner_->set_health(address, healthy);
  }

  caf::error request_drain(const std::string& address) override {
    return cut ? failure() : inner_->request_drain(address);
  }

  caf::error forget_runner(const std::string& address, int64_t now,
                           int64_t lease) override {
    return cut ? failure() : inner_->forget_runner(address, now, lease);
  }

  caf::expected<std::vector<storage::lease_grant>>
  acquire(const std::string& runner, const std::vector<std::string>& shards,
          int64_t now, int64_t lease) override {
    if (cut)
      return failure();
    return inner_->acquire(runner, shards, now, lease);
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
    if (cut)
      return failure();
    return inner_->refresh(runner, shards, now, lease);
  }

  caf::error release(const std::string& runner,
                     const std::vector<std::string>& shards) override {
    return cut ? failure() : inner_->release(runner, shards);
  }

  caf::error release_all(const std::string& runner) override {
    return cut ? failure() : inner_->release_all(runner);
  }

  caf::expected<std::vector<storage::lease_row>> leases() override {
    if (cut)
      return failure();
    return inner_->leases();
  }

  caf::expected<int64_t> current_epoch(const std::string& shard) override {
    if (cut)
      return failure();
    return inner_->current_epoch(shard);
  }

private:
  static caf::error failure() {
    return caf::make_error(storage::errc::io_error,
                           "storage unreachable (injected fault)");
  }

  std::shared_ptr<storage::runner_driver> inner_;
  mutable std::mutex hang_mtx_;
  std::condition_variable hang_cv_;
  bool hang_ = false;
  int blocked_ = 0;
};

} // namespace caf_cluster::testing
