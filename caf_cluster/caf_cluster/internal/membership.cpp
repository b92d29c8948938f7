// Membership: this runner's registration, the live runners, the hash ring
// over them and the shard map the router routes by.
#include <algorithm>
#include <set>

#include "caf/send.hpp"

#include "caf_cluster/internal/shard_manager_state.hpp"
#include "caf_cluster/shard_id.hpp"

namespace caf_cluster::internal {

void shard_manager_state::rejoin(int64_t now) {
  if (leaving)
    return;
  storage::runner_row row;
  row.address = cfg.address;
  row.weight = node().config.runner_weight;
  row.groups = node().config.shard_groups;
  auto id = cfg.storage->register_runner(row, node().config.shards_per_group,
                                         now, lease_ms());
  if (!id) {
    failed("registering again", id.error());
    return;
  }
  worked("registering again");
  // Refreshes were skipped while unregistered: that streak ends here too.
  worked("lease refresh");
  registered = true;
  last_renewal_ms = now;
  node().snowflakes->machine_id(static_cast<uint16_t>(*id));
  node().log->info("membership", "registered again (machine id ", *id, ")");
}

std::vector<storage::runner_row>
shard_manager_state::live_among(const std::vector<storage::runner_row>& all,
                                int64_t now) {
  auto skew = to_ms(node().config.max_clock_skew);
  std::vector<storage::runner_row> live;
  std::set<std::string> ahead;
  for (auto& r : all) {
    if (storage::dated_ahead(r.last_heartbeat_ms, now, skew)) {
      if (forged_runners.count(r.address) == 0)
        node().log->warning("membership", "ignoring runner ", r.address,
                            ": its heartbeat is dated ",
                            r.last_heartbeat_ms - now,
                            " ms ahead of this clock, more than "
                            "cluster.max-clock-skew (",
                            skew, " ms); it counts as not live");
      ahead.insert(r.address);
    } else if (r.last_heartbeat_ms > now - lease_ms()) {
      live.push_back(r);
    }
  }
  forged_runners = std::move(ahead);
  return live;
}

void shard_manager_state::observe(const std::vector<storage::runner_row>& live,
                                  const std::vector<storage::runner_row>& all) {
  auto& log = *node().log;
  std::map<std::string, bool> now;
  for (auto& r : live)
    now.emplace(r.address, r.healthy);
  if (!seen_runners) {
    seen_runners = true;
    std::string names;
    for (auto& r : live)
      names += (names.empty() ? "" : ", ") + r.address;
    log.log(routine(), "membership", live.size(), " live runners: ", names);
    known_runners = std::move(now);
    return;
  }
  std::vector<std::string> gone;
  for (auto& [addr, healthy] : known_runners) {
    auto i = now.find(addr);
    if (i == now.end())
      gone.push_back(addr);
    else if (healthy && !i->second)
      log.log(notable(), "membership", "runner ", addr, " became unhealthy");
    else if (!healthy && i->second)
      log.log(routine(), "membership", "runner ", addr, " is healthy again");
  }
  for (auto& [addr, healthy] : now)
    if (addr != cfg.address && known_runners.count(addr) == 0)
      log.log(routine(), "membership", "runner ", addr, " joined");
  if (!gone.empty()) {
    // A runner that left removed its row; a dead one's row stays behind.
    for (auto& addr : gone) {
      if (addr == cfg.address)
        continue;
      auto stale = std::any_of(all.begin(), all.end(), [&](auto& r) {
        return r.address == addr;
      });
      if (stale)
        log.log(notable(), "membership", "runner ", addr,
                " is dead (heartbeat expired): its shards fail over");
      else
        log.log(routine(), "membership", "runner ", addr, " left");
    }
  }
  known_runners = std::move(now);
}

bool shard_manager_state::listed(
  const std::vector<storage::runner_row>& live) const {
  return std::any_of(live.begin(), live.end(), [&](auto& r) {
    return r.address == cfg.address;
  });
}

bool shard_manager_state::drain_requested(
  const std::vector<storage::runner_row>& live) const {
  return std::any_of(live.begin(), live.end(), [&](auto& r) {
    return r.address == cfg.address && r.drain_requested;
  });
}

const std::vector<std::string>&
shard_manager_state::ring_of(const std::string& group,
                             const std::vector<storage::runner_row>& live) {
  std::vector<ring_node> nodes;
  for (auto& r : live)
    if (r.healthy
        && std::find(r.groups.begin(), r.groups.end(), group) != r.groups.end())
      nodes.push_back(ring_node{r.address, r.weight});
  auto& cached = rings[group];
  auto same = cached.nodes.size() == nodes.size()
    && std::equal(nodes.begin(), nodes.end(), cached.nodes.begin(),
                  [](const ring_node& x, const ring_node& y) {
                    return x.address == y.address && x.weight == y.weight;
                  });
  if (!same || cached.owners.empty()) {
    cached.nodes = std::move(nodes);
    cached.owners = assign_shards(cached.nodes, node().config.shards_per_group);
  }
  return cached.owners;
}

void shard_manager_state::publish(const std::string& group,
                                  const std::vector<std::string>& ring,
                                  const std::vector<storage::lease_row>* leases,
                                  int64_t now, size_t live_runners) {
  auto owners = ring;
  owners.resize(static_cast<size_t>(node().config.shards_per_group));
  if (leases) {
    auto skew = to_ms(node().config.max_clock_skew);
    std::set<std::string> ahead;
    for (auto& row : *leases) {
      if (row.expires_at_ms <= now)
        continue;
      // Storage does not grant it either: the ring's choice acquires it.
      if (storage::dated_ahead(row.expires_at_ms, now + lease_ms(), skew)) {
        if (forged_leases.count(row.shard) == 0)
          node().log->warning("shards", "ignoring the lease of ", row.shard,
                              " held by ", row.runner, ": it expires ",
                              row.expires_at_ms - now,
                              " ms from now, later than a grant by a clock "
                              "within cluster.max-clock-skew could");
        ahead.insert(row.shard);
        continue;
      }
      auto s = parse_shard_id(row.shard);
      if (s && s->group == group
          && s->index <= static_cast<int32_t>(owners.size()))
        owners[static_cast<size_t>(s->index - 1)] = row.runner;
    }
    forged_leases = std::move(ahead);
  }
  auto live = static_cast<int32_t>(live_runners);
  if (!client_only())
    live = std::max(live, int32_t{1});
  auto& last = published[group];
  auto i = published_live_of.find(group);
  if (owners == last && i != published_live_of.end() && live == i->second)
    return;
  last = owners;
  published_live_of[group] = live;
  self->send(cfg.router, assignments_atom::value, group, std::move(owners),
             live);
}

} // namespace caf_cluster::internal
