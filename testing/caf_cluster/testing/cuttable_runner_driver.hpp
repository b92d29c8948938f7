// A runner storage decorator that can be cut off: while `cut` is set, every
// call fails as if the database were unreachable from this runner. The test
// kit cuts a runner from storage with it; tests derive more faults from it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/runner_driver.hpp"

namespace caf_cluster::testing {

/// Forwards every call to another runner driver unless `cut` is set.
class cuttable_runner_driver : public storage::runner_driver {
public:
  /// Decorates `inner`.
  explicit cuttable_runner_driver(std::shared_ptr<storage::runner_driver> inner)
    : inner_(std::move(inner)) {
    // nop
  }

  /// While true, every call fails with `storage::errc::io_error`.
  std::atomic<bool> cut{false};

  /// Forwards unless cut.
  caf::expected<int32_t> register_runner(const storage::runner_row& row,
                                         int32_t spg, int64_t now,
                                         int64_t lease) override {
    if (cut)
      return failure();
    return inner_->register_runner(row, spg, now, lease);
  }

  /// Forwards unless cut.
  caf::error unregister_runner(const std::string& address) override {
    return cut ? failure() : inner_->unregister_runner(address);
  }

  /// Forwards unless cut.
  caf::expected<std::vector<storage::runner_row>>
  live_runners(int64_t now, int64_t lease) override {
    if (cut)
      return failure();
    return inner_->live_runners(now, lease);
  }

  /// Sets the allowance here and on the decorated driver, which decides.
  void set_max_clock_skew(int64_t ms) override {
    storage::runner_driver::set_max_clock_skew(ms);
    inner_->set_max_clock_skew(ms);
  }

  /// Forwards unless cut.
  caf::expected<std::vector<storage::runner_row>> all_runners() override {
    if (cut)
      return failure();
    return inner_->all_runners();
  }

  /// Forwards unless cut.
  caf::error request_drain(const std::string& address) override {
    return cut ? failure() : inner_->request_drain(address);
  }

  /// Forwards unless cut.
  caf::error forget_runner(const std::string& address, int64_t now,
                           int64_t lease) override {
    return cut ? failure() : inner_->forget_runner(address, now, lease);
  }

  /// Forwards unless cut.
  caf::error set_health(const std::string& address, bool healthy) override {
    return cut ? failure() : inner_->set_health(address, healthy);
  }

  /// Forwards unless cut.
  caf::expected<std::vector<storage::lease_grant>>
  acquire(const std::string& runner, const std::vector<std::string>& shards,
          int64_t now, int64_t lease) override {
    if (cut)
      return failure();
    return inner_->acquire(runner, shards, now, lease);
  }

  /// Forwards unless cut.
  caf::expected<std::vector<storage::lease_grant>>
  refresh(const std::string& runner, const std::vector<std::string>& shards,
          int64_t now, int64_t lease) override {
    if (cut)
      return failure();
    return inner_->refresh(runner, shards, now, lease);
  }

  /// Forwards unless cut.
  caf::error release(const std::string& runner,
                     const std::vector<std::string>& shards) override {
    return cut ? failure() : inner_->release(runner, shards);
  }

  /// Forwards unless cut.
  caf::error release_all(const std::string& runner) override {
    return cut ? failure() : inner_->release_all(runner);
  }

  /// Forwards unless cut.
  caf::expected<std::vector<storage::lease_row>> leases() override {
    if (cut)
      return failure();
    return inner_->leases();
  }

  /// Forwards unless cut.
  caf::expected<int64_t> current_epoch(const std::string& shard) override {
    if (cut)
      return failure();
    return inner_->current_epoch(shard);
  }

protected:
  /// The error of every call while cut.
  static caf::error failure() {
    return caf::make_error(storage::errc::io_error,
                           "storage unreachable (injected fault)");
  }

private:
  std::shared_ptr<storage::runner_driver> inner_;
};

} // namespace caf_cluster::testing
