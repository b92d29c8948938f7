#include "caf_cluster/gateway/internal/cluster_view.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace caf_cluster::gateway::internal {

namespace {

using json = nlohmann::json;

// The lease of each shard whose lease holds at the reading, by shard name.
std::map<std::string, const storage::lease_row*>
held_leases(const cluster_reading& reading, const cluster_view_input& in) {
  std::map<std::string, const storage::lease_row*> result;
  for (const auto& row : reading.leases)
    if (storage::holds(row, reading.read_at_ms, in.lease_ms, in.max_skew_ms))
      result.emplace(row.shard, &row);
  return result;
}

json runners_json(
  const cluster_reading& reading, const cluster_view_input& in,
  const std::map<std::string, const storage::lease_row*>& held) {
  std::map<std::string, int64_t> counts;
  for (const auto& [shard, row] : held)
    ++counts[row->runner];
  auto rows = reading.runners;
  std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) {
    return x.address < y.address;
  });
  auto result = json::array();
  for (const auto& row : rows)
    result.push_back({
      {"address", row.address},
      {"machine_id", row.machine_id},
      {"weight", row.weight},
      {"groups", row.groups},
      {"healthy", row.healthy},
      {"alive",
       storage::is_live(row, reading.read_at_ms, in.lease_ms, in.max_skew_ms)},
      {"draining", row.drain_requested},
      {"last_heartbeat_ms", row.last_heartbeat_ms},
      {"heartbeat_age_ms", reading.read_at_ms - row.last_heartbeat_ms},
      {"shards", counts[row.address]},
    });
  return result;
}

// This node's groups first, then groups only other runners host.
std::vector<std::string> all_groups(const cluster_reading& reading,
                                    const cluster_view_input& in) {
  auto result = in.groups;
  std::set<std::string> more;
  for (const auto& row : reading.runners)
    for (const auto& group : row.groups)
      if (std::find(result.begin(), result.end(), group) == result.end())
        more.insert(group);
  result.insert(result.end(), more.begin(), more.end());
  return result;
}

json shard_map_json(
  const cluster_reading& reading, const cluster_view_input& in,
  const std::map<std::string, const storage::lease_row*>& held) {
  std::set<std::string> draining;
  for (const auto& row : reading.runners)
    if (row.drain_requested)
      draining.insert(row.address);
  std::map<std::string, int64_t> epochs;
  for (const auto& row : reading.leases)
    epochs[row.shard] = row.epoch;
  auto result = json::array();
  for (const auto& group : all_groups(reading, in)) {
    auto shards = json::array();
    for (int32_t index = 1; index <= in.shards_per_group; ++index) {
      auto name = to_string(caf_cluster::shard_id{group, index});
      auto lease = held.find(name);
      auto epoch = epochs.find(name);
      json entry{{"shard", name},
                 {"index", index},
                 {"epoch", epoch == epochs.end() ? 0 : epoch->second}};
      if (lease == held.end()) {
        entry["owner"] = nullptr;
        entry["draining"] = false;
      } else {
        entry["owner"] = lease->second->runner;
        entry["draining"] = draining.count(lease->second->runner) > 0;
      }
      shards.push_back(std::move(entry));
    }
    result.push_back({{"group", group}, {"shards", std::move(shards)}});
  }
  return result;
}

json entity_types_json(const metrics_snapshot& metrics) {
  auto result = json::array();
  for (const auto& x : metrics.entity_types)
    result.push_back({
      {"entity_type", x.entity_type},
      {"resident", x.resident},
      {"processed", x.processed},
      {"activations", x.activations},
      {"passivations", x.passivations},
      {"mailbox_full", x.mailbox_full},
      {"failed", x.failed},
    });
  return result;
}

// The unprocessed messages of one entity type over all shards.
struct type_backlog {
  int64_t count = 0;
  // The earliest `deliver_at_ms` of any shard; none without rows.
  std::optional<int64_t> next_ms;
};

std::map<std::string, type_backlog>
pending_per_type(const cluster_reading& r) {
  std::map<std::string, type_backlog> result;
  if (r.pending)
    for (const auto& row : *r.pending) {
      auto& x = result[row.entity_type];
      x.count += row.count;
      if (!x.next_ms || row.next_deliver_at_ms < *x.next_ms)
        x.next_ms = row.next_deliver_at_ms;
    }
  return result;
}

json backlog_json(const cluster_reading& reading,
                  const std::map<std::string, type_backlog>& per_type) {
  if (!reading.pending)
    return nullptr;
  int64_t total = 0;
  auto types = json::array();
  for (const auto& [type, x] : per_type) {
    total += x.count;
    types.push_back({{"entity_type", type}, {"pending", x.count}});
  }
  std::set<std::string> shards;
  for (const auto& row : *reading.pending)
    shards.insert(row.shard);
  return {{"total", total},
          {"shards", static_cast<int64_t>(shards.size())},
          {"per_entity_type", std::move(types)}};
}

json holder_of(const std::map<std::string, const storage::lease_row*>& held,
               const caf_cluster::shard_id& shard) {
  auto i = held.find(to_string(shard));
  if (i == held.end())
    return nullptr;
  return i->second->runner;
}

json singletons_json(
  const cluster_view_input& in,
  const std::map<std::string, const storage::lease_row*>& held) {
  auto result = json::array();
  for (const auto& x : in.singletons)
    result.push_back({{"name", x.name},
                      {"shard", to_string(x.shard)},
                      {"holder", holder_of(held, x.shard)}});
  return result;
}

// Crons known here (their singletons) and crons with ticks in storage. A
// cron's ticks are requests to its entity type due at their instants, so the
// earliest stored one is its next tick (or the one running now).
json crons_json(const cluster_view_input& in,
                const std::map<std::string, const storage::lease_row*>& held,
                const std::map<std::string, type_backlog>& per_type) {
  auto starts_cron = [&](const std::string& name) {
    return name.compare(0, in.cron_prefix.size(), in.cron_prefix) == 0;
  };
  std::map<std::string, json> crons;
  for (const auto& x : in.singletons)
    if (starts_cron(x.name))
      crons[x.name] = {{"name", x.name.substr(in.cron_prefix.size())},
                       {"holder", holder_of(held, x.shard)}};
  for (const auto& [type, x] : per_type)
    if (starts_cron(type) && crons.count(type) == 0)
      crons[type] = {{"name", type.substr(in.cron_prefix.size())},
                     {"holder", nullptr}};
  auto result = json::array();
  for (auto& [type, entry] : crons) {
    auto i = per_type.find(type);
    entry["pending_ticks"] = i == per_type.end() ? 0 : i->second.count;
    if (i != per_type.end() && i->second.next_ms)
      entry["next_tick_ms"] = *i->second.next_ms;
    else
      entry["next_tick_ms"] = nullptr;
    result.push_back(std::move(entry));
  }
  return result;
}

} // namespace

json cluster_view(const cluster_reading& reading,
                  const cluster_view_input& in) {
  auto held = held_leases(reading, in);
  auto per_type = pending_per_type(reading);
  return {
    {"node", in.node},
    {"client_only", in.client_only},
    {"read_at_ms", reading.read_at_ms},
    {"lease_duration_ms", in.lease_ms},
    {"shards_per_group", in.shards_per_group},
    {"runner_storage", reading.has_runner_storage},
    {"runners", runners_json(reading, in, held)},
    {"shard_groups", shard_map_json(reading, in, held)},
    {"entity_types", entity_types_json(in.metrics)},
    {"active_shards", in.metrics.active_shards},
    {"running_singletons", in.metrics.singletons},
    {"backlog", backlog_json(reading, per_type)},
    {"singletons", singletons_json(in, held)},
    {"crons", crons_json(in, held, per_type)},
  };
}

} // namespace caf_cluster::gateway::internal
