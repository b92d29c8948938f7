#include "caf_cluster/storage/runner_driver.hpp"

#include "caf_cluster/storage/internal/runner_rules.hpp"

namespace caf_cluster::storage {

bool operator==(const runner_row& x, const runner_row& y) noexcept {
  return x.address == y.address && x.machine_id == y.machine_id
    && x.weight == y.weight && x.groups == y.groups && x.healthy == y.healthy
    && x.last_heartbeat_ms == y.last_heartbeat_ms
    && x.drain_requested == y.drain_requested;
}

bool operator!=(const runner_row& x, const runner_row& y) noexcept {
  return !(x == y);
}

bool operator==(const lease_row& x, const lease_row& y) noexcept {
  return x.shard == y.shard && x.runner == y.runner && x.epoch == y.epoch
    && x.expires_at_ms == y.expires_at_ms;
}

bool operator!=(const lease_row& x, const lease_row& y) noexcept {
  return !(x == y);
}

bool operator==(const lease_grant& x, const lease_grant& y) noexcept {
  return x.shard == y.shard && x.epoch == y.epoch;
}

bool operator!=(const lease_grant& x, const lease_grant& y) noexcept {
  return !(x == y);
}

bool is_live(const runner_row& runner, int64_t now_ms, int64_t lease_ms,
             int64_t max_skew_ms) noexcept {
  return internal::is_live(runner.last_heartbeat_ms, now_ms, lease_ms,
                           max_skew_ms);
}

bool holds(const lease_row& lease, int64_t now_ms, int64_t lease_ms,
           int64_t max_skew_ms) noexcept {
  return internal::is_held(lease.expires_at_ms, now_ms, lease_ms,
                           max_skew_ms);
}

runner_driver::~runner_driver() = default;

void runner_driver::set_max_clock_skew(int64_t ms) {
  max_clock_skew_ms_ = ms < 0 ? 0 : ms;
}

} // namespace caf_cluster::storage
