#include "caf_cluster/storage/internal/runner_rules.hpp"

#include <algorithm>
#include <unordered_set>

#include "caf_cluster/storage/errc.hpp"

namespace caf_cluster::storage::internal {

acquire_action decide_acquire(const lease_row* current,
                              const std::string& runner, int64_t now_ms,
                              int64_t lease_ms, int64_t max_skew_ms) {
  if (current == nullptr
      || !is_held(current->expires_at_ms, now_ms, lease_ms, max_skew_ms))
    return acquire_action::grant;
  if (current->runner == runner)
    return acquire_action::extend;
  return acquire_action::refuse;
}

caf::expected<int32_t> pick_machine_id(std::optional<int32_t> previous,
                                       const std::vector<int32_t>& taken) {
  std::vector<bool> used(max_machine_id + 1, false);
  for (auto id : taken)
    if (id >= 0 && id <= max_machine_id)
      used[static_cast<size_t>(id)] = true;
  if (previous && *previous >= 0 && *previous <= max_machine_id
      && !used[static_cast<size_t>(*previous)])
    return *previous;
  auto free = std::find(used.begin(), used.end(), false);
  if (free == used.end())
    return caf::make_error(errc::exhausted,
                           "no free machine id: all "
                             + std::to_string(max_machine_id + 1)
                             + " ids belong to live runners");
  return static_cast<int32_t>(free - used.begin());
}

caf::error check_registration(const runner_row& runner,
                              int32_t shards_per_group, int64_t lease_ms) {
  if (runner.address.empty())
    return caf::make_error(errc::invalid_argument,
                           "a runner address must not be empty");
  if (shards_per_group < 1)
    return caf::make_error(errc::invalid_argument,
                           "shards per group must be at least 1, got "
                             + std::to_string(shards_per_group));
  return check_lease_request(runner.address, lease_ms);
}

caf::error check_lease_request(const std::string& runner, int64_t lease_ms) {
  if (runner.empty())
    return caf::make_error(errc::invalid_argument,
                           "a runner address must not be empty");
  if (lease_ms < 1)
    return caf::make_error(errc::invalid_argument,
                           "the lease duration must be at least 1 ms, got "
                             + std::to_string(lease_ms));
  return {};
}

caf::error shards_per_group_mismatch(int32_t stored, int32_t requested) {
  return caf::make_error(
    errc::invalid_config,
    "cluster.shards-per-group is " + std::to_string(requested)
      + " for this runner but " + std::to_string(stored)
      + " for the cluster in this storage; every runner must use the same "
        "cluster.shards-per-group");
}

caf::error unknown_runner(const std::string& address) {
  return caf::make_error(errc::unknown_runner,
                         "no runner is registered at '" + address + "'");
}

caf::error check_forget(const runner_row* row, const std::string& address,
                        int64_t now_ms, int64_t lease_ms, int64_t max_skew_ms) {
  if (lease_ms < 1)
    return caf::make_error(errc::invalid_argument,
                           "the lease duration must be at least 1 ms, got "
                             + std::to_string(lease_ms));
  if (row == nullptr)
    return unknown_runner(address);
  if (is_live(row->last_heartbeat_ms, now_ms, lease_ms, max_skew_ms))
    return caf::make_error(errc::runner_alive,
                           "runner '" + address + "' is alive (last heartbeat "
                             + std::to_string(now_ms - row->last_heartbeat_ms)
                             + " ms ago, lease duration "
                             + std::to_string(lease_ms)
                             + " ms): stop it or drain it first");
  return {};
}

std::vector<std::string>
without_duplicates(const std::vector<std::string>& shards) {
  std::vector<std::string> result;
  result.reserve(shards.size());
  std::unordered_set<std::string> seen;
  for (const auto& shard : shards)
    if (seen.insert(shard).second)
      result.push_back(shard);
  return result;
}

} // namespace caf_cluster::storage::internal
