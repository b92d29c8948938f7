// Runner storage on encoded rows: who is in the cluster (registration,
// heartbeats, machine ids) and who holds which shard (leases with fencing
// epochs). The core layers its typed runner storage over this driver; every
// backend passes the same conformance suite (tests/storage).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"

namespace caf_cluster::storage {

/// A registered runner as stored.
struct runner_row {
  /// The runner's address, `"host:port"`; the key of the row.
  std::string address;

  /// The runner's snowflake machine id in `0..1023`, assigned by
  /// `runner_driver::register_runner` (ignored when registering).
  int32_t machine_id = 0;

  /// The runner's share of shards relative to the other runners.
  int32_t weight = 1;

  /// The shard groups the runner hosts, in the caller's order.
  std::vector<std::string> groups;

  /// Whether the runner takes shards; see `runner_driver::set_health`.
  bool healthy = true;

  /// When the runner last registered or refreshed, in the caller's clock
  /// (set by the driver, ignored when registering).
  int64_t last_heartbeat_ms = 0;

  /// Whether an operator asked the runner to leave gracefully; see
  /// `runner_driver::request_drain` (cleared by registering).
  bool drain_requested = false;
};

/// Returns whether all fields of `x` and `y` are equal.
bool operator==(const runner_row& x, const runner_row& y) noexcept;

/// Returns whether any field of `x` and `y` differs.
bool operator!=(const runner_row& x, const runner_row& y) noexcept;

/// A shard lease as stored.
struct lease_row {
  /// The shard, `"group:index"`; the key of the row.
  std::string shard;

  /// The address of the runner that holds the lease.
  std::string runner;

  /// The fencing token of this grant of the lease.
  int64_t epoch = 0;

  /// The first instant at which the lease no longer holds.
  int64_t expires_at_ms = 0;
};

/// Returns whether all fields of `x` and `y` are equal.
bool operator==(const lease_row& x, const lease_row& y) noexcept;

/// Returns whether any field of `x` and `y` differs.
bool operator!=(const lease_row& x, const lease_row& y) noexcept;

/// A lease that a runner holds after `acquire` or `refresh`.
struct lease_grant {
  /// The shard, `"group:index"`.
  std::string shard;

  /// The fencing token: writes on behalf of the shard carry it, and storage
  /// refuses them once a larger epoch exists for the shard.
  int64_t epoch = 0;
};

/// Returns whether `x` and `y` name the same shard and epoch.
bool operator==(const lease_grant& x, const lease_grant& y) noexcept;

/// Returns whether `x` and `y` differ in shard or epoch.
bool operator!=(const lease_grant& x, const lease_grant& y) noexcept;

/// The default of `runner_driver::set_max_clock_skew`, in milliseconds (the
/// default of `cluster.max-clock-skew`).
constexpr int64_t default_max_clock_skew_ms = 10'000;

/// Returns whether the instant `at_ms`, read from storage, lies more than
/// `max_skew_ms` after `limit_ms`, the latest a runner whose clock is at most
/// `max_skew_ms` ahead could have written. Such rows are not believed: a
/// database writer could otherwise keep a runner live or a lease held for
/// years.
constexpr bool dated_ahead(int64_t at_ms, int64_t limit_ms,
                           int64_t max_skew_ms) noexcept {
  return at_ms - limit_ms > max_skew_ms;
}

/// Returns whether `runner` is live at `now_ms` by the rule of the drivers
/// (see `runner_driver`): its heartbeat is younger than `lease_ms` and not
/// dated ahead by more than `max_skew_ms`. For readers of `all_runners`
/// (tools, the dashboard) that must judge rows as the runtime does.
bool is_live(const runner_row& runner, int64_t now_ms, int64_t lease_ms,
             int64_t max_skew_ms = default_max_clock_skew_ms) noexcept;

/// Returns whether `lease` holds at `now_ms` by the rule of the drivers (see
/// `runner_driver`): not expired, and not dated further ahead than a grant
/// of `lease_ms` at `now_ms` by more than `max_skew_ms`.
bool holds(const lease_row& lease, int64_t now_ms, int64_t lease_ms,
           int64_t max_skew_ms = default_max_clock_skew_ms) noexcept;

/// Storage of runners and shard leases, shared by all runners of a cluster.
///
/// Time enters only through the `now_ms` parameters (milliseconds in the
/// callers' common clock), so tests drive it with a manual clock. A runner is
/// *live* at `now_ms` when `last_heartbeat_ms > now_ms - lease_ms` and its
/// heartbeat is not dated ahead of `now_ms` by more than `max_clock_skew`; a
/// lease *holds* at `now_ms` when `expires_at_ms > now_ms` and it is not
/// dated ahead of `now_ms + lease_ms` by more than `max_clock_skew` (see
/// `dated_ahead`), set by `set_max_clock_skew`. Addresses and shards are
/// opaque strings to the driver. Every operation is atomic: it either applies
/// completely or fails with an error and changes nothing. Implementations are
/// thread-safe.
class runner_driver {
public:
  virtual ~runner_driver();

  /// Registers `runner` (or updates its row) as healthy or not as given,
  /// with a heartbeat at `now_ms`, and returns its machine id.
  ///
  /// The machine id is unique among the runners that are live at `now_ms`.
  /// A runner that registers again keeps its id unless a live runner took it
  /// meanwhile; otherwise the smallest free id is chosen. The row of a dead
  /// runner whose id is handed to another runner is removed, so that runner
  /// cannot come back to life with a duplicate id through `refresh`.
  /// The first registration stores the cluster's `shards_per_group`.
  /// @returns the machine id in `0..1023`; `errc::invalid_config` when
  ///          `shards_per_group` differs from the stored value (the message
  ///          names `cluster.shards-per-group` and both values);
  ///          `errc::exhausted` when 1024 other runners are live;
  ///          `errc::invalid_argument` for an empty address,
  ///          `shards_per_group < 1` or `lease_ms < 1`.
  virtual caf::expected<int32_t>
  register_runner(const runner_row& runner, int32_t shards_per_group,
                  int64_t now_ms, int64_t lease_ms)
    = 0;

  /// Removes the row of the runner at `address`; unknown addresses are no
  /// error. Leases stay until `release_all` or their expiry, because only
  /// the runner knows when its entities have stopped.
  virtual caf::error unregister_runner(const std::string& address) = 0;

  /// Returns the runners that are live at `now_ms`, healthy or not, sorted
  /// by address.
  virtual caf::expected<std::vector<runner_row>>
  live_runners(int64_t now_ms, int64_t lease_ms) = 0;

  /// Returns every registered runner, dead or alive, sorted by address.
  virtual caf::expected<std::vector<runner_row>> all_runners() = 0;

  /// Sets the health flag of the runner at `address`; unknown addresses are
  /// no error.
  virtual caf::error set_health(const std::string& address, bool healthy) = 0;

  /// Asks the runner at `address` to leave the cluster gracefully by setting
  /// `drain_requested` on its row; the runner sees the flag when it next
  /// reads the runners and leaves as on a shutdown. Setting it twice is no
  /// error.
  /// @returns `errc::unknown_runner` when no runner is registered at
  ///          `address`.
  virtual caf::error request_drain(const std::string& address) = 0;

  /// Removes a dead runner: its row and its leases (epochs survive), so it
  /// no longer shows up at all. Refused while the runner is live at `now_ms`,
  /// because a live runner would register again and keep serving.
  /// @returns `errc::unknown_runner` when no runner is registered at
  ///          `address`; `errc::runner_alive` when it is live at `now_ms`
  ///          (the message names the address and the heartbeat's age);
  ///          `errc::invalid_argument` for `lease_ms < 1`.
  virtual caf::error forget_runner(const std::string& address, int64_t now_ms,
                                   int64_t lease_ms)
    = 0;

  /// Tries to lease `shards` to `runner` until `now_ms + lease_ms`.
  ///
  /// A shard is granted when it has no lease, its lease expired, or
  /// `runner` holds it; a lease that holds for another runner is never
  /// granted. A lease that `runner` still holds keeps its epoch; every other
  /// grant gets an epoch larger than any earlier grant of the shard, also
  /// after a release.
  /// @returns the granted shards in the order of `shards` (duplicates
  ///          ignored).
  virtual caf::expected<std::vector<lease_grant>>
  acquire(const std::string& runner, const std::vector<std::string>& shards,
          int64_t now_ms, int64_t lease_ms)
    = 0;

  /// Extends the leases on `shards` that `runner` still holds at `now_ms` to
  /// `now_ms + lease_ms` and records a heartbeat of `runner` at `now_ms`
  /// (also for an empty `shards`, the liveness probe). Never grants a lease.
  /// @returns the extended leases in the order of `shards` (duplicates
  ///          ignored): a missing shard is lost to its runner.
  virtual caf::expected<std::vector<lease_grant>>
  refresh(const std::string& runner, const std::vector<std::string>& shards,
          int64_t now_ms, int64_t lease_ms)
    = 0;

  /// Drops the leases of `runner` on `shards`; leases of other runners and
  /// unknown shards are left alone. Epochs survive.
  virtual caf::error release(const std::string& runner,
                             const std::vector<std::string>& shards)
    = 0;

  /// Drops every lease of `runner`. Epochs survive.
  virtual caf::error release_all(const std::string& runner) = 0;

  /// Returns every lease row, expired ones included, sorted by shard.
  virtual caf::expected<std::vector<lease_row>> leases() = 0;

  /// Returns the epoch of the latest grant of `shard`, or 0 if it was never
  /// granted.
  virtual caf::expected<int64_t> current_epoch(const std::string& shard) = 0;

  /// Sets how far (in ms, at least 0) a stored heartbeat or lease expiry may
  /// be dated ahead and still be believed; see the class comment. A
  /// decorator forwards it to the driver it decorates.
  virtual void set_max_clock_skew(int64_t ms);

  /// Returns the allowance `set_max_clock_skew` set, by default
  /// `default_max_clock_skew_ms`.
  int64_t max_clock_skew() const noexcept {
    return max_clock_skew_ms_.load();
  }

private:
  std::atomic<int64_t> max_clock_skew_ms_{default_max_clock_skew_ms};
};

} // namespace caf_cluster::storage
