#include "caf_cluster/internal/shard_manager.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <utility>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/send.hpp"
#include "caf/spawn_options.hpp"
#include "caf/stateful_actor.hpp"

#include "caf_cluster/atoms.hpp"
#include "caf_cluster/hash_ring.hpp"
#include "caf_cluster/internal/entity_manager.hpp"
#include "caf_cluster/internal/sharding_state.hpp"
#include "caf_cluster/internal/singleton_manager.hpp"
#include "caf_cluster/internal/storage_writer.hpp"
#include "caf_cluster/shard_id.hpp"

namespace caf_cluster::internal {

namespace {

struct held_shard {
  std::string group;
  int32_t index = 0;
  int64_t epoch = 0;
  int64_t until = 0;       // lease deadline
  bool ready = true;       // stored messages handed over; may serve
  bool recovering = false; // claim of its stored messages under way
};

// Rows claimed per request at acquisition and per tick.
constexpr uint64_t recovery_limit = 100'000;
constexpr uint64_t sweep_limit = 4'096;

struct shard_manager_state {
  static inline const char* name = "caf_cluster.shard_manager";

  caf::event_based_actor* self = nullptr;
  shard_manager_config cfg;
  std::map<std::string, held_shard> held;     // leased and served
  std::map<std::string, held_shard> draining; // leased, entities stopping
  std::map<std::string, std::vector<std::string>> published; // sent to router
  bool registered = true;
  bool leaving = false;
  int64_t last_renewal_ms = 0;
  size_t managers_left = 0;
  bool poll_pending = false;
  bool sweep_pending = false;
  struct cached_ring {
    std::vector<ring_node> nodes;
    std::vector<std::string> owners;
  };
  std::map<std::string, cached_ring> rings; // by group
  // Shards of the first group last reported to the singleton manager.
  std::vector<int32_t> singleton_shards;
  // Claimed stored messages of entity types without a manager here yet.
  std::map<int64_t, storage::request_row> orphans;

  bool client_only() const noexcept {
    return cfg.address.empty();
  }

  int64_t lease_ms() const {
    return to_ms(cfg.lease_duration);
  }

  caf::timespan period() const {
    return client_only() ? cfg.assignments_interval : cfg.refresh_interval;
  }

  void serve(held_shard& s, int64_t until) {
    s.until = until;
    if (s.group == cfg.groups.front() && s.ready)
      cfg.table->set(s.index, until);
  }

  std::vector<caf::actor> managers() const {
    if (auto st = cfg.sharding.lock())
      return st->managers();
    return {};
  }

  void tick() {
    auto now = cfg.clock->now_ms();
    if (!client_only())
      renew(now);
    auto live = cfg.storage->live_runners(now, lease_ms());
    if (!live)
      return;
    if (!client_only() && registered && !leaving
        && std::none_of(live->begin(), live->end(),
                        [&](auto& r) { return r.address == cfg.address; })) {
      // Our row is gone (we were presumed dead): serve nothing, join again.
      lose_all();
      registered = false;
      return;
    }
    auto leases = cfg.storage->leases();
    for (auto& group : cfg.groups) {
      std::vector<ring_node> nodes;
      for (auto& r : *live)
        if (r.healthy
            && std::find(r.groups.begin(), r.groups.end(), group)
                 != r.groups.end())
          nodes.push_back(ring_node{r.address, r.weight});
      auto& ring = ring_of(group, nodes);
      publish(group, ring, leases ? &*leases : nullptr, now);
      if (!client_only() && registered && !leaving && !ring.empty())
        rebalance(group, ring, now);
    }
    if (cfg.writer && !leaving) {
      recover_unready();
      adopt_orphans();
      sweep(now);
    }
    report_held();
  }

  // Singletons start when their shard's lease arrives (they stop through
  // `stop_entities`, like entities, before a lease goes back).
  void report_held() {
    if (!cfg.singletons || client_only())
      return;
    std::vector<int32_t> xs;
    for (auto& kvp : held)
      if (kvp.second.group == cfg.groups.front())
        xs.push_back(kvp.second.index);
    std::sort(xs.begin(), xs.end());
    if (xs == singleton_shards)
      return;
    singleton_shards = xs;
    self->send(cfg.singletons, held_atom::value, std::move(xs));
  }

  // The hash ring's assignment for `nodes`, recomputed only when the live
  // runners change (hashing every shard each tick was most of a tick's cost).
  const std::vector<std::string>& ring_of(const std::string& group,
                                          const std::vector<ring_node>& nodes) {
    auto& cached = rings[group];
    auto same = cached.nodes.size() == nodes.size()
                && std::equal(nodes.begin(), nodes.end(), cached.nodes.begin(),
                              [](const ring_node& x, const ring_node& y) {
                                return x.address == y.address
                                       && x.weight == y.weight;
                              });
    if (!same || cached.owners.empty()) {
      cached.nodes = nodes;
      cached.owners = assign_shards(nodes, cfg.shards_per_group);
    }
    return cached.owners;
  }

  // Refreshes every lease (the heartbeat too); drops what was lost.
  void renew(int64_t now) {
    if (!registered) {
      if (leaving)
        return;
      storage::runner_row row;
      row.address = cfg.address;
      row.weight = cfg.weight;
      row.groups = cfg.groups;
      auto id = cfg.storage->register_runner(row, cfg.shards_per_group, now,
                                             lease_ms());
      if (!id)
        return;
      registered = true;
      last_renewal_ms = now;
      if (auto st = cfg.sharding.lock())
        st->snowflakes.machine_id(static_cast<uint16_t>(*id));
      return;
    }
    std::vector<std::string> keys;
    for (auto& kvp : held)
      keys.push_back(kvp.first);
    for (auto& kvp : draining)
      keys.push_back(kvp.first);
    auto kept = cfg.storage->refresh(cfg.address, keys, now, lease_ms());
    if (!kept) {
      // Stop before the lease can lapse: another runner may take the shards
      // the moment it does. The clock is read again: the failed call itself
      // may have taken long.
      auto after = cfg.clock->now_ms();
      if (after >= last_renewal_ms + lease_ms() - to_ms(cfg.refresh_interval))
        lose_all();
      return;
    }
    last_renewal_ms = now;
    std::map<std::string, int64_t> still;
    for (auto& grant : *kept)
      still.emplace(grant.shard, grant.epoch);
    for (auto i = held.begin(); i != held.end();) {
      if (still.count(i->first) == 0) {
        lose(i->second);
        i = held.erase(i);
      } else {
        // Also while leaving: messages accepted before the shutdown finish
        // (the managers refuse new ones), under a lease that still holds.
        serve(i->second, now + lease_ms());
        ++i;
      }
    }
  }

  // The lease is gone: stop serving at once, and stay away from the shard
  // until its entities are gone (a new acquisition must not start while an
  // entity of the old one still runs).
  void lose(held_shard& s) {
    serve(s, 0);
    draining.emplace(shard_key(s.group, s.index), s);
    stop_entities(s, caf::timespan{0}, true);
  }

  void lose_all() {
    for (auto& kvp : held)
      lose(kvp.second);
    held.clear();
  }

  // Shard map for the router: the lease holder where a lease holds, else
  // the ring's choice (which is about to acquire it).
  void publish(const std::string& group, const std::vector<std::string>& ring,
               const std::vector<storage::lease_row>* leases, int64_t now) {
    auto owners = ring;
    owners.resize(static_cast<size_t>(cfg.shards_per_group));
    if (leases) {
      for (auto& row : *leases) {
        if (row.expires_at_ms <= now)
          continue;
        auto shard = parse_shard_id(row.shard);
        if (shard && shard->group == group && shard->index >= 1
            && shard->index <= cfg.shards_per_group)
          owners[static_cast<size_t>(shard->index - 1)] = row.runner;
      }
    }
    auto& last = published[group];
    if (owners == last)
      return;
    last = owners;
    self->send(cfg.router, assignments_atom::value, group, std::move(owners));
  }

  void rebalance(const std::string& group, const std::vector<std::string>& ring,
                 int64_t now) {
    std::vector<std::string> leaving_keys;
    for (auto& kvp : held)
      if (kvp.second.group == group
          && ring[static_cast<size_t>(kvp.second.index - 1)] != cfg.address)
        leaving_keys.push_back(kvp.first);
    for (auto& key : leaving_keys) {
      auto s = held[key];
      held.erase(key);
      draining.emplace(key, s);
      serve(s, 0);
      stop_entities(s, cfg.termination_timeout, true);
    }
    std::vector<std::string> wanted;
    for (int32_t index = 1; index <= cfg.shards_per_group; ++index) {
      if (ring[static_cast<size_t>(index - 1)] != cfg.address)
        continue;
      auto key = shard_key(group, index);
      if (held.count(key) == 0 && draining.count(key) == 0)
        wanted.push_back(std::move(key));
    }
    if (wanted.empty())
      return;
    auto granted = cfg.storage->acquire(cfg.address, wanted, now, lease_ms());
    if (!granted || granted->size() < wanted.size())
      poll_soon();
    if (!granted)
      return;
    for (auto& grant : *granted) {
      auto shard = parse_shard_id(grant.shard);
      if (!shard)
        continue;
      held_shard s{shard->group, shard->index, grant.epoch};
      if (s.group == cfg.groups.front()) {
        cfg.table->set_epoch(s.index, s.epoch);
        s.ready = !cfg.writer;
      }
      serve(s, now + lease_ms());
      held.emplace(grant.shard, std::move(s));
    }
    recover_unready();
  }

  // Hands the stored messages of newly acquired shards to the entity
  // managers, then serves the shards: stored messages run before new ones.
  void recover_unready() {
    std::vector<std::string> keys;
    for (auto& kvp : held)
      if (!kvp.second.ready && !kvp.second.recovering) {
        kvp.second.recovering = true;
        keys.push_back(kvp.first);
      }
    if (keys.empty())
      return;
    std::map<std::string, int64_t> epochs;
    for (auto& key : keys)
      epochs.emplace(key, held[key].epoch);
    auto now = cfg.clock->now_ms();
    // A claim time of 0 takes every due message, also those the previous
    // owner claimed: it is gone or fenced.
    self
      ->request(cfg.writer, caf::infinite, claim_atom::value, keys, now,
                int64_t{0}, recovery_limit)
      .then(
        [this, epochs](std::vector<storage::request_row>& rows) {
          hand_over(rows, [this, epochs] { recovered(epochs); });
        },
        [this, keys](caf::error&) {
          // Tried again on the next tick.
          for (auto& key : keys)
            if (auto i = held.find(key); i != held.end())
              i->second.recovering = false;
        });
  }

  // `epochs`: the acquisitions whose messages were handed over.
  void recovered(const std::map<std::string, int64_t>& epochs) {
    std::vector<int32_t> indexes;
    for (auto& [key, epoch] : epochs) {
      auto i = held.find(key);
      if (i == held.end() || i->second.ready || i->second.epoch != epoch)
        continue; // lost (or lost and acquired again) meanwhile
      i->second.ready = true;
      i->second.recovering = false;
      serve(i->second, i->second.until);
      indexes.push_back(i->second.index);
    }
    if (indexes.empty())
      return;
    for (auto& mgr : managers())
      self->send(mgr, resume_atom::value, indexes);
  }

  // Sends each entity manager its rows and calls `done` once all took them.
  template <class F>
  void hand_over(std::vector<storage::request_row>& rows, F done) {
    // Rows of shards lost meanwhile stay for their next owner.
    std::map<std::string, std::vector<storage::request_row>> by_type;
    for (auto& row : rows)
      if (held.count(row.shard) > 0)
        by_type[row.entity_type].push_back(std::move(row));
    auto st = cfg.sharding.lock();
    std::vector<std::pair<caf::actor, std::vector<storage::request_row>>> jobs;
    for (auto& kvp : by_type) {
      if (auto mgr = st ? st->manager(kvp.first) : caf::actor{}) {
        jobs.emplace_back(std::move(mgr), std::move(kvp.second));
      } else {
        // Its type is not registered (yet: a runner registers its types
        // right after it starts): handed over on a later tick.
        for (auto& row : kvp.second)
          orphans.emplace(row.request_id, std::move(row));
      }
    }
    if (jobs.empty()) {
      done();
      return;
    }
    auto pending = std::make_shared<size_t>(jobs.size());
    auto one = [pending, done]() mutable {
      if (--*pending == 0)
        done();
    };
    for (auto& [mgr, xs] : jobs)
      self->request(mgr, caf::infinite, recover_atom::value, std::move(xs))
        .then([one]() mutable { one(); },
              [one](caf::error&) mutable { one(); });
  }

  void adopt_orphans() {
    if (orphans.empty())
      return;
    std::vector<storage::request_row> rows;
    for (auto& kvp : orphans)
      rows.push_back(std::move(kvp.second));
    orphans.clear();
    hand_over(rows, [] {});
  }

  // Due messages without a reply that nobody has claimed lately: scheduled
  // ones that came due, and stored ones whose delivery failed or whose
  // sender stored them after this runner's recovery claim.
  void sweep(int64_t now) {
    if (sweep_pending)
      return;
    std::vector<std::string> keys;
    for (auto& kvp : held)
      if (kvp.second.ready && kvp.second.group == cfg.groups.front())
        keys.push_back(kvp.first);
    if (keys.empty())
      return;
    sweep_pending = true;
    self
      ->request(cfg.writer, caf::infinite, claim_atom::value, keys, now,
                to_ms(cfg.message_claim_timeout), sweep_limit)
      .then(
        [this](std::vector<storage::request_row>& rows) {
          hand_over(rows, [this] { sweep_pending = false; });
        },
        [this](caf::error&) { sweep_pending = false; });
  }

  // Some shards this runner should own are still leased elsewhere (their
  // old owner is stopping them): ask again soon rather than a period later,
  // which keeps a hand-over well under a second.
  void poll_soon() {
    if (poll_pending)
      return;
    poll_pending = true;
    self->delayed_send(self, cfg.refresh_interval / 5, recheck_atom::value,
                       true);
  }

  // Asks every entity manager to stop the shard's entities; with `release`,
  // gives the lease back once they all have (bounded by `grace`).
  void stop_entities(const held_shard& s, caf::timespan grace, bool release) {
    auto mgrs = managers();
    auto key = shard_key(s.group, s.index);
    // The singleton manager forgets the shard with the stop (it is among
    // the managers), so a later acquisition must be reported again.
    if (s.group == cfg.groups.front())
      singleton_shards.erase(std::remove(singleton_shards.begin(),
                                         singleton_shards.end(), s.index),
                             singleton_shards.end());
    if (mgrs.empty()) {
      if (release)
        released(key);
      return;
    }
    auto pending = std::make_shared<size_t>(mgrs.size());
    auto done = [this, key, pending, release] {
      if (--*pending == 0 && release)
        released(key);
    };
    for (auto& mgr : mgrs)
      self->request(mgr, caf::infinite, stop_shard_atom::value, s.group,
                    s.index, grace)
        .then([done] { done(); }, [done](caf::error&) { done(); });
  }

  void released(const std::string& key) {
    if (draining.erase(key) == 0)
      return; // lost meanwhile: nothing of ours to release
    cfg.storage->release(cfg.address, {key});
  }

  // Graceful leave: the entity managers refuse new messages and finish the
  // accepted ones; the leases are kept until they stopped (so nobody else
  // serves them meanwhile), then released with the runner's registration so
  // that the others take over at once. The router and the transport go last:
  // replies to peers travel through them.
  void leave(const std::vector<caf::actor>& mgrs) {
    if (leaving)
      return;
    leaving = true;
    managers_left = mgrs.size();
    for (auto& mgr : mgrs)
      self->monitor(mgr);
    if (managers_left == 0)
      finish_leave();
  }

  void finish_leave() {
    for (auto& kvp : held)
      serve(kvp.second, 0);
    if (!client_only()) {
      cfg.storage->release_all(cfg.address);
      cfg.storage->unregister_runner(cfg.address);
    }
    self->send(cfg.router, shutdown_atom::value);
    if (cfg.writer)
      self->send_exit(cfg.writer, caf::exit_reason::user_shutdown);
    if (cfg.transport)
      cfg.transport->close();
    self->quit();
  }
};

caf::behavior shard_manager_impl(caf::stateful_actor<shard_manager_state>* self,
                                 shard_manager_config cfg) {
  auto& st = self->state;
  st.self = self;
  st.cfg = std::move(cfg);
  st.last_renewal_ms = st.cfg.clock->now_ms();
  self->set_down_handler([self](caf::down_msg&) {
    auto& st = self->state;
    if (st.leaving && st.managers_left > 0 && --st.managers_left == 0)
      st.finish_leave();
  });
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      self->state.tick();
      self->delayed_send(self, self->state.period(), tick_atom::value);
    },
    [=](recheck_atom) { self->state.tick(); },
    [=](recheck_atom, bool) {
      self->state.poll_pending = false;
      self->state.tick();
    },
    [=](leave_atom, const std::vector<caf::actor>& managers) {
      self->state.leave(managers);
    },
  };
}

} // namespace

caf::actor spawn_shard_manager(caf::actor_system& sys,
                               shard_manager_config cfg) {
  if (cfg.detached)
    return sys.spawn<caf::detached>(shard_manager_impl, std::move(cfg));
  return sys.spawn(shard_manager_impl, std::move(cfg));
}

std::string shard_key(const std::string& group, int32_t index) {
  return group + ":" + std::to_string(index);
}

} // namespace caf_cluster::internal
