// The shard manager's behaviour: one tick per refresh interval (refresh,
// read the cluster, rebalance, hand acquired shards to recovery) and the
// graceful leave.
#include "caf_cluster/internal/shard_manager.hpp"

#include <algorithm>
#include <utility>

#include "caf/actor_system.hpp"
#include "caf/spawn_options.hpp"
#include "caf/stateful_actor.hpp"

#include "caf_cluster/internal/shard_manager_state.hpp"
#include "caf_cluster/shard_id.hpp"
#include "caf_cluster/storage/errc.hpp"

namespace caf_cluster::internal {

std::string shard_manager_state::key(shard_ref s) const {
  return to_string(shard_id{table().groups()[s.g], s.index});
}

std::optional<shard_ref>
shard_manager_state::parse(const std::string& text) const {
  auto x = parse_shard_id(text);
  if (!x || x->index < 1 || x->index > table().size())
    return std::nullopt;
  auto& groups = table().groups();
  for (size_t g = 0; g < groups.size(); ++g)
    if (groups[g] == x->group)
      return shard_ref{g, x->index};
  return std::nullopt;
}

std::string
shard_manager_state::describe(const std::vector<shard_ref>& xs) const {
  std::string result;
  auto& groups = table().groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    std::vector<int32_t> indexes;
    for (auto& x : xs)
      if (x.g == g)
        indexes.push_back(x.index);
    if (indexes.empty())
      continue;
    std::sort(indexes.begin(), indexes.end());
    if (!result.empty())
      result += ' ';
    result += groups[g];
    result += ':';
    // A line stays readable: the count says how many there are in all.
    size_t ranges = 0;
    for (size_t i = 0; i < indexes.size();) {
      if (++ranges > 12) {
        result += ",...";
        break;
      }
      auto j = i;
      while (j + 1 < indexes.size() && indexes[j + 1] == indexes[j] + 1)
        ++j;
      if (i > 0)
        result += ',';
      result += std::to_string(indexes[i]);
      if (j > i)
        result += '-' + std::to_string(indexes[j]);
      i = j + 1;
    }
  }
  return result;
}

void shard_manager_state::failed(const char* what, const caf::error& err) {
  auto n = ++failure_streaks[what];
  auto text = node().system.render(err);
  node().storage_state->failing(text);
  auto& log = *node().log;
  // A damaged file does not heal: say so at once. Other failures may be a
  // moment's lock; once they repeat, storage is unusable and the runner
  // serves nothing, which must not pass as a warning.
  auto damaged = err == storage::errc::corrupt;
  if (n == 1 && !damaged)
    log.warning("storage", what, " failed: ", text,
                " (logged again when it works)");
  else if ((n == 1 && damaged) || n == failures_before_error
           || n % failures_between_errors == 0)
    log.error("storage", what, " failed ", n, " times in a row: ", text,
              " (runner storage is unusable: this runner serves no shard "
              "until it works again)");
}

void shard_manager_state::worked(const char* what) {
  auto i = failure_streaks.find(what);
  if (i == failure_streaks.end())
    return;
  node().log->info("storage", what, " works again after ", i->second,
                   " failed attempts");
  failure_streaks.erase(i);
  if (failure_streaks.empty())
    node().storage_state->working();
}

caf::timespan shard_manager_state::period() const {
  return client_only() ? node().config.refresh_assignments_interval
                       : node().config.lease_refresh_interval;
}

void shard_manager_state::tick() {
  auto now = node().clock->now_ms();
  if (!client_only())
    renew(now);
  // All rows, not only the live ones: the ones dated ahead are logged.
  auto all = cfg.storage->all_runners();
  if (!all) {
    failed("reading the runners", all.error());
    return;
  }
  worked("reading the runners");
  auto live = live_among(*all, now);
  node().counters->live_runners.store(static_cast<int64_t>(live.size()),
                                      std::memory_order_relaxed);
  observe(live, *all);
  if (!client_only() && registered && !leaving && !listed(live)) {
    // Our row is gone (we were presumed dead): serve nothing, join again.
    node().log->warning("membership", "this runner's registration is gone "
                                      "(presumed dead): joining again");
    lose_all("registration lost");
    registered = false;
    return;
  }
  // Read on the tick that refreshes the heartbeat anyway: a drain costs no
  // extra storage call. The leave itself comes back as a leave_atom.
  if (!client_only() && registered && !leaving && !drain_seen
      && drain_requested(live)) {
    drain_seen = true;
    node().log->info("node", "drain requested through storage");
    if (cfg.on_drain_requested)
      cfg.on_drain_requested();
  }
  auto leases = cfg.storage->leases();
  auto& groups = table().groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    auto& ring = ring_of(groups[g], live);
    if (!client_only() && registered && !leaving && !ring.empty())
      rebalance(g, ring, now, leases ? &*leases : nullptr);
  }
  // The router routes to every group a live runner hosts, also those this
  // node does not (its types or clients may name them).
  std::set<std::string> known(groups.begin(), groups.end());
  for (auto& r : live)
    known.insert(r.groups.begin(), r.groups.end());
  for (auto& group : known)
    publish(group, ring_of(group, live), leases ? &*leases : nullptr, now,
            live.size());
  if (cfg.recovery && !leaving)
    request_recovery();
}

// Graceful leave: the participants refuse new messages and finish the
// accepted ones; the leases are kept (and refreshed) until they stopped, so
// nobody else serves them meanwhile, then released with the runner's
// registration so that the others take over at once. The router and the
// transport go last: replies to peers travel through them.
void shard_manager_state::leave(
  const std::vector<shard_participant_actor>& participants) {
  if (leaving)
    return;
  leaving = true;
  node().log->log(routine(), "node", "leaving gracefully: stopping ",
                  participants.size(), " entity managers");
  participants_left = participants.size();
  for (auto& x : participants)
    self->monitor(x);
  if (participants_left == 0)
    finish_leave();
}

void shard_manager_state::finish_leave() {
  for_each_owned([&](shard_ref s, shard_state) {
    table().lose(s.index, s.g);
  });
  auto& log = *node().log;
  if (!client_only()) {
    if (auto err = cfg.storage->release_all(cfg.address))
      log.error("storage", "releasing the leases failed: ", err);
    if (auto err = cfg.storage->unregister_runner(cfg.address))
      log.error("storage", "unregistering failed: ", err);
  }
  log.log(routine(), "node", "left the cluster");
  // From this actor: the router takes its shutdown from its own runner only.
  if (cfg.router)
    self->send(cfg.router, shutdown_atom::value);
  if (cfg.on_left)
    cfg.on_left();
  self->quit();
}

void shard_manager_state::router_down(const caf::error& reason) {
  if (leaving)
    return;
  // Nobody can reach this runner any more: serving on would hold leases for
  // nothing. The graceful leave releases them once the participants stopped.
  node().log->error("node", "the router stopped (", reason,
                    "): leaving the cluster");
  if (cfg.on_drain_requested)
    cfg.on_drain_requested();
  else
    leave({});
}

namespace {

shard_manager_impl::behavior_type shard_manager_fn(shard_manager_pointer self,
                                                   shard_manager_config cfg) {
  auto& st = self->state;
  st.self = self;
  st.cfg = std::move(cfg);
  st.last_renewal_ms = st.node().clock->now_ms();
  // The router learns its shard manager from the shard manager itself: only
  // this actor's shard maps are taken.
  if (st.cfg.router) {
    self->monitor(st.cfg.router);
    self->send(st.cfg.router, address_atom::value, st.cfg.address,
               caf::actor_cast<shard_manager_actor>(self));
  }
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == st.cfg.router.address()) {
      st.router_down(dm.reason);
      return;
    }
    if (st.leaving && st.participants_left > 0 && --st.participants_left == 0)
      st.finish_leave();
  });
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      self->state.tick();
      self->delayed_send(self, self->state.period(), tick_atom::value);
    },
    [=](recheck_atom) {
      self->state.tick();
    },
    [=](poll_atom) {
      self->state.poll_pending = false;
      self->state.tick();
    },
    [=](leave_atom, const std::vector<shard_participant_actor>& xs) {
      self->state.leave(xs);
    },
  };
}

} // namespace

shard_manager_actor spawn_shard_manager(caf::actor_system& sys,
                                        shard_manager_config cfg) {
  if (cfg.detached)
    return sys.spawn<caf::detached>(shard_manager_fn, std::move(cfg));
  return sys.spawn(shard_manager_fn, std::move(cfg));
}

} // namespace caf_cluster::internal
