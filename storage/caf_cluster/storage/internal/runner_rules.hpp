// The decisions every runner_driver backend makes the same way: liveness of a
// heartbeat, whether a lease may be granted, which machine id a runner gets,
// and which arguments are refused. Backends differ in where rows live, never
// in these rules, so the rules live once, here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "caf_cluster/storage/runner_driver.hpp"

namespace caf_cluster::storage::internal {

/// The largest machine id: a snowflake has 10 bits for it.
constexpr int32_t max_machine_id = 1023;

/// Returns whether a runner whose last heartbeat was at `last_heartbeat_ms`
/// is live at `now_ms`: recent, and not dated ahead beyond `max_skew_ms`.
constexpr bool is_live(int64_t last_heartbeat_ms, int64_t now_ms,
                       int64_t lease_ms, int64_t max_skew_ms) noexcept {
  return last_heartbeat_ms > now_ms - lease_ms
         && !dated_ahead(last_heartbeat_ms, now_ms, max_skew_ms);
}

/// Returns whether a lease that expires at `expires_at_ms` holds at `now_ms`:
/// not expired, and not dated further ahead than a grant at `now_ms` (for
/// `lease_ms`) by a clock at most `max_skew_ms` ahead.
constexpr bool is_held(int64_t expires_at_ms, int64_t now_ms, int64_t lease_ms,
                       int64_t max_skew_ms) noexcept {
  return expires_at_ms > now_ms
         && !dated_ahead(expires_at_ms, now_ms + lease_ms, max_skew_ms);
}

/// What `acquire` does with one requested shard.
enum class acquire_action {
  /// Another runner holds the lease: the shard is not granted.
  refuse,
  /// The runner holds the lease already: extend it and keep its epoch.
  extend,
  /// The shard is free or its lease expired: grant it with the next epoch.
  grant,
};

/// Decides what `acquire` does for `runner` with a shard whose current lease
/// is `current` (`nullptr` when the shard has none); see `is_held`.
acquire_action decide_acquire(const lease_row* current,
                              const std::string& runner, int64_t now_ms,
                              int64_t lease_ms, int64_t max_skew_ms);

/// Chooses the machine id of a registering runner.
/// @param previous the id the runner had, if it has a row.
/// @param taken the ids of the other live runners.
/// @returns `previous` unless taken, else the smallest free id, or
///          `errc::exhausted` when no id is free.
caf::expected<int32_t> pick_machine_id(std::optional<int32_t> previous,
                                       const std::vector<int32_t>& taken);

/// Checks the arguments of `register_runner`.
/// @returns an `errc::invalid_argument` error, or a default error if valid.
caf::error check_registration(const runner_row& runner,
                              int32_t shards_per_group, int64_t lease_ms);

/// Checks the arguments of `acquire` and `refresh`.
/// @returns an `errc::invalid_argument` error, or a default error if valid.
caf::error check_lease_request(const std::string& runner, int64_t lease_ms);

/// Returns the `errc::invalid_config` error for a runner configured with
/// `requested` shards per group in a cluster that uses `stored`.
caf::error shards_per_group_mismatch(int32_t stored, int32_t requested);

/// Returns the `errc::unknown_runner` error for `address`.
caf::error unknown_runner(const std::string& address);

/// Decides whether the runner `row` (null: not registered) at `address` may
/// be forgotten at `now_ms`; see `runner_driver::forget_runner` (a row dated
/// ahead beyond `max_skew_ms` is not live, so a forged row can be removed).
/// @returns its errors, or a default error if it may.
caf::error check_forget(const runner_row* row, const std::string& address,
                        int64_t now_ms, int64_t lease_ms, int64_t max_skew_ms);

/// Returns `shards` without repeated elements, keeping first occurrences in
/// order.
std::vector<std::string>
without_duplicates(const std::vector<std::string>& shards);

} // namespace caf_cluster::storage::internal
