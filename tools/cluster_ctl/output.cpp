#include "output.hpp"

#include <algorithm>
#include <charconv>
#include <iostream>
#include <map>
#include <tuple>

#include "caf_cluster/storage/error_text.hpp"

#include "json_writer.hpp"

namespace cluster_ctl {

using caf_cluster::storage::printable;

bool shard_less(const std::string& x, const std::string& y) {
  // default:2 before default:10; malformed names sort as plain strings.
  auto split = [](const std::string& s) {
    auto colon = s.rfind(':');
    int64_t index = -1;
    if (colon != std::string::npos) {
      auto first = s.data() + colon + 1;
      auto last = s.data() + s.size();
      auto [end, ec] = std::from_chars(first, last, index);
      if (ec != std::errc{} || end != last || first == last)
        index = -1;
    }
    return std::make_tuple(index < 0 ? s : s.substr(0, colon), index, s);
  };
  return split(x) < split(y);
}

void print_shard_id(const std::string& entity_id,
                    const caf_cluster::shard_id& shard, bool json) {
  if (!json) {
    std::cout << to_string(shard) << '\n';
    return;
  }
  json_writer out{std::cout};
  out.begin_object()
    .member("entity_id", entity_id)
    .member("shard", to_string(shard))
    .member("group", shard.group)
    .member("index", shard.index)
    .end_object();
}

void print_runners(std::vector<caf_cluster::storage::runner_row> runners,
                   int64_t now_ms, int64_t lease_ms, bool json) {
  std::sort(runners.begin(), runners.end(), [](const auto& x, const auto& y) {
    return x.address < y.address;
  });
  // The driver's liveness rule with the default clock skew (a negative age
  // shows a row dated ahead).
  auto live = [&](const auto& row) {
    return caf_cluster::storage::is_live(row, now_ms, lease_ms);
  };
  if (!json) {
    std::cout << "address machine-id healthy weight heartbeat-age-ms state\n";
    for (const auto& row : runners)
      std::cout << printable(row.address) << ' ' << row.machine_id << ' '
                << (row.healthy ? "yes" : "no") << ' ' << row.weight << ' '
                << (now_ms - row.last_heartbeat_ms) << ' '
                << (live(row) ? "live" : "stale") << '\n';
    return;
  }
  json_writer out{std::cout};
  out.begin_object().member("lease_duration_ms", lease_ms);
  out.key("runners").begin_array();
  for (const auto& row : runners) {
    out.begin_object()
      .member("address", row.address)
      .member("machine_id", row.machine_id)
      .member("healthy", row.healthy)
      .member("weight", row.weight)
      .key("groups")
      .begin_array();
    for (const auto& group : row.groups)
      out.value(group);
    out.end_array()
      .member("heartbeat_age_ms", now_ms - row.last_heartbeat_ms)
      .member("state", live(row) ? "live" : "stale")
      .member("drain_requested", row.drain_requested)
      .end_object();
  }
  out.end_array().end_object();
}

void print_shards(std::vector<caf_cluster::storage::lease_row> leases,
                  const std::vector<caf_cluster::storage::runner_row>& runners,
                  int64_t now_ms, bool json) {
  std::sort(leases.begin(), leases.end(), [](const auto& x, const auto& y) {
    return shard_less(x.shard, y.shard);
  });
  // Every registered runner appears in the counts, also with 0 shards. The
  // driver's rule: a lease holds while expires_at_ms > now_ms.
  std::map<std::string, int64_t> held;
  for (const auto& row : runners)
    held.emplace(row.address, 0);
  for (const auto& row : leases)
    if (row.expires_at_ms > now_ms)
      ++held[row.runner];
  if (!json) {
    std::cout << "shard holder epoch expires-in-ms state\n";
    for (const auto& row : leases)
      std::cout << printable(row.shard) << ' ' << printable(row.runner) << ' '
                << row.epoch << ' ' << (row.expires_at_ms - now_ms) << ' '
                << (row.expires_at_ms > now_ms ? "held" : "expired") << '\n';
    std::cout << "\nrunner held-shards\n";
    for (const auto& [runner, count] : held)
      std::cout << printable(runner) << ' ' << count << '\n';
    return;
  }
  json_writer out{std::cout};
  out.begin_object().key("leases").begin_array();
  for (const auto& row : leases)
    out.begin_object()
      .member("shard", row.shard)
      .member("holder", row.runner)
      .member("epoch", row.epoch)
      .member("expires_in_ms", row.expires_at_ms - now_ms)
      .member("state", row.expires_at_ms > now_ms ? "held" : "expired")
      .end_object();
  out.end_array().key("held_shards").begin_array();
  for (const auto& [runner, count] : held)
    out.begin_object()
      .member("runner", runner)
      .member("held", count)
      .end_object();
  out.end_array().end_object();
}

void print_pending(std::vector<caf_cluster::storage::pending_count> counts,
                   bool json) {
  std::sort(counts.begin(), counts.end(), [](const auto& x, const auto& y) {
    if (x.shard != y.shard)
      return shard_less(x.shard, y.shard);
    return x.entity_type < y.entity_type;
  });
  std::map<std::string, int64_t> per_type;
  for (const auto& row : counts)
    per_type[row.entity_type] += row.count;
  if (!json) {
    std::cout << "shard entity-type pending\n";
    for (const auto& row : counts)
      std::cout << printable(row.shard) << ' ' << printable(row.entity_type)
                << ' ' << row.count << '\n';
    std::cout << "\nentity-type pending\n";
    for (const auto& [type, count] : per_type)
      std::cout << printable(type) << ' ' << count << '\n';
    return;
  }
  json_writer out{std::cout};
  out.begin_object().key("pending").begin_array();
  for (const auto& row : counts)
    out.begin_object()
      .member("shard", row.shard)
      .member("entity_type", row.entity_type)
      .member("pending", row.count)
      .end_object();
  out.end_array().key("per_entity_type").begin_array();
  for (const auto& [type, count] : per_type)
    out.begin_object()
      .member("entity_type", type)
      .member("pending", count)
      .end_object();
  out.end_array().end_object();
}

void print_tables(const std::vector<caf_cluster::storage::table_size>& sizes,
                  bool json) {
  if (!json) {
    std::cout << "table rows bytes\n";
    for (const auto& x : sizes) {
      std::cout << printable(x.table) << ' ' << x.rows << ' ';
      if (x.bytes >= 0)
        std::cout << x.bytes;
      else
        std::cout << '-';
      std::cout << '\n';
    }
    return;
  }
  json_writer out{std::cout};
  out.begin_object().key("tables").begin_array();
  for (const auto& x : sizes) {
    out.begin_object().member("table", x.table).member("rows", x.rows);
    // Unknown sizes are null rather than a number that looks real.
    out.key("bytes");
    if (x.bytes >= 0)
      out.value(x.bytes);
    else
      out.null();
    out.end_object();
  }
  out.end_array().end_object();
}

} // namespace cluster_ctl
