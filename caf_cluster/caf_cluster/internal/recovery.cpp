#include "caf_cluster/internal/recovery.hpp"

#include <map>
#include <set>
#include <memory>
#include <utility>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/response_promise.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "caf_cluster/shard_id.hpp"

namespace caf_cluster::internal {

namespace {

/// Timer: claim due and left-behind messages.
using sweep_atom = caf::atom_constant<caf::atom("cc_sweep")>;

using recovery_impl = recovery_actor::extend<caf::reacts_to<sweep_atom>>;

// Rows claimed per request at acquisition and per sweep.
constexpr uint64_t recovery_limit = 100'000;
constexpr uint64_t sweep_limit = 4'096;

struct recovery_state {
  static inline const char* name = "caf_cluster.recovery";

  recovery_impl::pointer self = nullptr;
  recovery_config cfg;
  bool sweep_pending = false;
  // Claimed stored messages of entity types without a manager here yet.
  std::map<int64_t, storage::request_row> orphans;
  // A single runner: the groups whose stored messages it claimed at start
  // (its configured ones) or when a type of the group was registered.
  std::set<std::string> recovered_groups;

  const shard_table& table() const {
    return *cfg.node->shards;
  }

  // The groups whose shards serve here: the hosted ones, and on a single
  // runner also those of its registered types (it serves every group).
  std::vector<std::string> served_groups() const {
    std::set<std::string> xs(table().groups().begin(), table().groups().end());
    if (cfg.node->single)
      cfg.node->registry->for_each(
        [&](const std::string&, const registered_type& t) {
          xs.insert(t.group);
        });
    return {xs.begin(), xs.end()};
  }

  // Whether rows of `shard` may go to the managers: it is still ours.
  bool owned(const std::string& shard) const {
    auto x = parse_shard_id(shard);
    return x
      && table().may_run(x->index, *cfg.node->clock,
                         cfg.node->group_slot(x->group));
  }

  // On a single runner: claims every stored message of the groups of types
  // registered since, once per group (a previous process left them).
  void recover_new_groups() {
    if (!cfg.node->single)
      return;
    std::vector<std::string> keys;
    for (auto& group : served_groups())
      if (recovered_groups.insert(group).second
          && table().position(group) == shard_table::not_hosted)
        for (int32_t i = 1; i <= table().size(); ++i)
          keys.push_back(to_string(shard_id{group, i}));
    if (keys.empty())
      return;
    cfg.storage.claim(
      self, std::move(keys), cfg.node->clock->now_ms(), 0, recovery_limit,
      [this](std::vector<storage::request_row>& rows) {
        hand_over(rows, [] {});
      },
      [this](caf::error& err) {
        cfg.node->log->error("recovery", "claiming stored messages failed: ",
                             err);
      });
  }

  // Claims every stored message of newly acquired shards (a claim time of 0
  // takes those the previous owner claimed too: it is gone or fenced) and
  // answers once the managers have them.
  void recover(std::vector<std::string> keys) {
    auto rp = self->make_response_promise();
    auto n = keys.size();
    if (cfg.node->single)
      for (auto& group : table().groups())
        recovered_groups.insert(group);
    cfg.storage.claim(
      self, std::move(keys), cfg.node->clock->now_ms(), 0, recovery_limit,
      [this, rp, n](
        std::vector<storage::request_row>& rows) mutable {
        cfg.node->log->debug("recovery", "claimed ", rows.size(),
                             " stored messages of ", n, " acquired shards");
        hand_over(rows, [rp]() mutable {
          rp.deliver(caf::unit);
        });
      },
      [rp](caf::error& err) mutable {
        rp.deliver(std::move(err));
      });
  }

  // Sends each entity manager its rows (one message each) and calls `done`
  // once all took them. Rows of shards lost meanwhile stay for their next
  // owner.
  template <class F>
  void hand_over(std::vector<storage::request_row>& rows, F done) {
    std::map<std::string, std::vector<storage::request_row>> by_type;
    for (auto& row : rows)
      if (owned(row.shard))
        by_type[row.entity_type].push_back(std::move(row));
    std::vector<
      std::pair<entity_manager_actor, std::vector<storage::request_row>>>
      jobs;
    for (auto& kvp : by_type) {
      entity_manager_actor mgr;
      cfg.node->registry->with(kvp.first, [&](const registered_type& t) {
        mgr = t.manager;
      });
      if (mgr) {
        jobs.emplace_back(std::move(mgr), std::move(kvp.second));
      } else {
        // Its type is not registered (yet: a runner registers its types
        // right after it starts): handed over once it is.
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
        .then(
          [one]() mutable {
            one();
          },
          [one](caf::error&) mutable {
            one();
          });
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
  void sweep() {
    if (cfg.node->registry->closed())
      return;
    adopt_orphans();
    if (sweep_pending)
      return;
    std::vector<std::string> keys;
    for (auto& group : served_groups()) {
      auto g = cfg.node->group_slot(group);
      for (int32_t index = 1; index <= table().size(); ++index)
        if (table().active(index, *cfg.node->clock, g))
          keys.push_back(to_string(shard_id{group, index}));
    }
    if (keys.empty())
      return;
    sweep_pending = true;
    cfg.storage.claim(
      self, std::move(keys), cfg.node->clock->now_ms(),
      to_ms(cfg.node->config.message_claim_timeout), sweep_limit,
      [this](std::vector<storage::request_row>& rows) {
        if (!rows.empty())
          cfg.node->log->debug("recovery", "claimed ", rows.size(),
                               " due or left-behind stored messages");
        hand_over(rows, [this] {
          sweep_pending = false;
        });
      },
      [this](caf::error&) {
        sweep_pending = false;
      });
  }
};

using recovery_pointer = recovery_impl::stateful_pointer<recovery_state>;

recovery_impl::behavior_type recovery_fn(recovery_pointer self,
                                         recovery_config cfg) {
  self->state.self = self;
  self->state.cfg = std::move(cfg);
  self->send(self, sweep_atom::value);
  return {
    [=](recover_atom, std::vector<std::string>& keys) {
      self->state.recover(std::move(keys));
      return caf::delegated<void>{};
    },
    [=](adopt_atom) {
      self->state.recover_new_groups();
      self->state.adopt_orphans();
    },
    [=](sweep_atom) {
      self->state.sweep();
      if (!self->state.cfg.node->registry->closed())
        self->delayed_send(self,
                           self->state.cfg.node->config.lease_refresh_interval,
                           sweep_atom::value);
    },
  };
}

} // namespace

recovery_actor spawn_recovery(caf::actor_system& sys, recovery_config cfg) {
  return sys.spawn(recovery_fn, std::move(cfg));
}

} // namespace caf_cluster::internal
