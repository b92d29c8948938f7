// Leases: refreshed every interval (the runner's heartbeat), acquired where
// the ring says, given back after the shard's participants stopped it, and
// given up at once when lost. Every change goes into the shard table first,
// so the participants see it before they are asked to act on it.
#include <algorithm>
#include <chrono>
#include <memory>

#include "caf/send.hpp"

#include "caf_cluster/internal/shard_manager_state.hpp"

namespace caf_cluster::internal {

int64_t shard_manager_state::serve_until(int64_t now) const {
  return now + lease_ms() - to_ms(node().config.lease_refresh_interval);
}

void shard_manager_state::renew(int64_t now) {
  if (!registered) {
    rejoin(now);
    return;
  }
  std::vector<std::string> keys;
  for_each_owned([&](shard_ref s, shard_state) {
    keys.push_back(key(s));
  });
  auto started = std::chrono::steady_clock::now();
  auto kept = cfg.storage->refresh(cfg.address, keys, now, lease_ms());
  node().counters->lease_refresh_latency.observe(
    std::chrono::steady_clock::now() - started);
  if (!kept) {
    failed("lease refresh", kept.error());
    // Stop before the lease can lapse: another runner may take the shards
    // the moment it does. The clock is read again: the failed call itself
    // may have taken long.
    auto after = node().clock->now_ms();
    if (after >= last_renewal_ms + lease_ms()
          - to_ms(node().config.lease_refresh_interval))
      lose_all("leases not refreshed in time");
    return;
  }
  worked("lease refresh");
  last_renewal_ms = now;
  std::set<std::string> still;
  for (auto& grant : *kept)
    still.insert(grant.shard);
  std::vector<shard_ref> lost;
  for_each_owned([&](shard_ref s, shard_state st) {
    if (still.count(key(s)) == 0) {
      if (st != shard_state::draining || table().until(s.index, s.g) != 0) {
        lose(s);
        lost.push_back(s);
      }
      return;
    }
    // Also while leaving, and for draining shards: messages accepted
    // earlier finish under a lease that still holds.
    table().extend(s.index, serve_until(now), s.g);
  });
  if (!lost.empty())
    node().log->warning("shards", "lost ", lost.size(),
                        " shards (lease expired or taken): ", describe(lost));
}

void shard_manager_state::count_failovers(
  const std::vector<storage::lease_grant>& granted,
  const std::vector<storage::lease_row>* leases, int64_t now) {
  if (!leases)
    return;
  int64_t n = 0;
  for (auto& grant : granted) {
    auto i = std::find_if(leases->begin(), leases->end(), [&](auto& row) {
      return row.shard == grant.shard;
    });
    if (i != leases->end() && i->runner != cfg.address
        && i->expires_at_ms <= now)
      ++n;
  }
  if (n > 0)
    node().counters->failovers.fetch_add(n, std::memory_order_relaxed);
}

void shard_manager_state::rebalance(
  size_t g, const std::vector<std::string>& ring, int64_t now,
  const std::vector<storage::lease_row>* leases) {
  auto& t = table();
  std::vector<std::string> wanted;
  std::vector<shard_ref> handed;
  for (int32_t index = 1; index <= t.size(); ++index) {
    auto mine = ring[static_cast<size_t>(index - 1)] == cfg.address;
    auto st = t.state(index, g);
    if (!mine
        && (st == shard_state::recovering || st == shard_state::serving)) {
      handed.push_back(shard_ref{g, index});
      t.drain(index, g);
      recovery_asked.erase(key(shard_ref{g, index}));
      stop_entities(shard_ref{g, index},
                    node().config.entity_termination_timeout, true);
    } else if (mine && st == shard_state::unowned) {
      wanted.push_back(key(shard_ref{g, index}));
    }
  }
  auto& log = *node().log;
  if (!handed.empty())
    log.info("shards", "handing over ", handed.size(),
             " shards to other runners: ", describe(handed));
  if (wanted.empty())
    return;
  auto granted = cfg.storage->acquire(cfg.address, wanted, now, lease_ms());
  if (!granted || granted->size() < wanted.size())
    poll_soon();
  if (!granted) {
    failed("acquiring leases", granted.error());
    return;
  }
  worked("acquiring leases");
  count_failovers(*granted, leases, now);
  bool serving_now = false;
  std::vector<shard_ref> got;
  for (auto& grant : *granted) {
    auto s = parse(grant.shard);
    if (!s)
      continue;
    got.push_back(*s);
    t.acquire(s->index, grant.epoch, serve_until(now), s->g);
    // Stored messages are handed over first (every group may have some).
    if (!cfg.recovery) {
      t.serve(s->index, s->g);
      serving_now = true;
    }
  }
  if (!got.empty())
    log.info("shards", "acquired ", got.size(), " shards: ", describe(got));
  if (serving_now && cfg.singletons)
    self->send(cfg.singletons, held_atom::value);
  if (cfg.recovery)
    request_recovery();
}

void shard_manager_state::request_recovery() {
  std::vector<shard_ref> refs;
  std::vector<std::string> keys;
  std::vector<int64_t> epochs;
  for_each_owned([&](shard_ref s, shard_state st) {
    if (st == shard_state::recovering && recovery_asked.insert(key(s)).second) {
      refs.push_back(s);
      keys.push_back(key(s));
      epochs.push_back(table().epoch(s.index, s.g));
    }
  });
  if (keys.empty())
    return;
  self->request(cfg.recovery, caf::infinite, recover_atom::value, keys)
    .then(
      [this, refs, keys, epochs]() {
        bool serving_now = false;
        for (size_t i = 0; i < refs.size(); ++i) {
          auto s = refs[i];
          recovery_asked.erase(keys[i]);
          // Lost (or lost and acquired again) meanwhile: not this one.
          if (table().state(s.index, s.g) != shard_state::recovering
              || table().epoch(s.index, s.g) != epochs[i])
            continue;
          table().serve(s.index, s.g);
          serving_now = true;
        }
        if (serving_now && cfg.singletons)
          self->send(cfg.singletons, held_atom::value);
      },
      [this, keys](caf::error&) {
        // Asked again on the next tick.
        for (auto& k : keys)
          recovery_asked.erase(k);
      });
}

void shard_manager_state::lose(shard_ref s) {
  table().lose(s.index, s.g);
  recovery_asked.erase(key(s));
  stop_entities(s, caf::timespan{0}, true);
}

void shard_manager_state::lose_all(const char* why) {
  std::vector<shard_ref> lost;
  for_each_owned([&](shard_ref s, shard_state st) {
    if (st == shard_state::recovering || st == shard_state::serving) {
      lose(s);
      lost.push_back(s);
    }
  });
  if (!lost.empty())
    node().log->warning("shards", why, ": stopped ", lost.size(), " shards: ",
                        describe(lost));
}

void shard_manager_state::stop_entities(shard_ref s, caf::timespan grace,
                                        bool release) {
  // Read after the table changed: a participant that counted something in
  // the shard before it saw the change is asked; one that counts later
  // sees the change and stops it on its own.
  std::vector<shard_participant_actor> asked;
  node().registry->for_each([&](const std::string&, const registered_type& t) {
    if (t.group_slot == s.g && t.occupancy->occupied(s.index))
      asked.push_back(t.participant);
  });
  if (asked.empty()) {
    if (release)
      released(s);
    return;
  }
  auto pending = std::make_shared<size_t>(asked.size());
  auto done = [this, s, pending, release] {
    if (--*pending == 0 && release)
      released(s);
  };
  for (auto& x : asked)
    self->request(x, caf::infinite, stop_shard_atom::value, s.index, grace)
      .then(
        [done]() {
          done();
        },
        [done](caf::error&) {
          done();
        });
}

void shard_manager_state::released(shard_ref s) {
  if (table().state(s.index, s.g) != shard_state::draining)
    return; // acquired again meanwhile
  table().release(s.index, s.g);
  if (auto err = cfg.storage->release(cfg.address, {key(s)})) {
    failed("releasing a lease", err);
    return;
  }
  worked("releasing a lease");
  node().log->debug("shards", "released ", key(s));
}

void shard_manager_state::poll_soon() {
  if (poll_pending)
    return;
  poll_pending = true;
  self->delayed_send(self, node().config.lease_refresh_interval / 5,
                     poll_atom::value);
}

} // namespace caf_cluster::internal
