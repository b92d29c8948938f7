// The shard manager's behaviour: one tick per refresh interval (refresh,
// read the cluster, rebalance, hand acquired shards to recovery) and the
// graceful leave.
#include "caf_cluster/internal/shard_manager.hpp"

#include <utility>

#include "caf/actor_system.hpp"
#include "caf/spawn_options.hpp"
#include "caf/stateful_actor.hpp"

#include "caf_cluster/internal/shard_manager_state.hpp"
#include "caf_cluster/shard_id.hpp"

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

caf::timespan shard_manager_state::period() const {
  return client_only() ? node().config.refresh_assignments_interval
                       : node().config.lease_refresh_interval;
}

void shard_manager_state::tick() {
  auto now = node().clock->now_ms();
  if (!client_only())
    renew(now);
  auto live = cfg.storage->live_runners(now, lease_ms());
  if (!live)
    return;
  if (!client_only() && registered && !leaving && !listed(*live)) {
    // Our row is gone (we were presumed dead): serve nothing, join again.
    lose_all();
    registered = false;
    return;
  }
  // Read on the tick that refreshes the heartbeat anyway: a drain costs no
  // extra storage call. The leave itself comes back as a leave_atom.
  if (!client_only() && registered && !leaving && !drain_seen
      && drain_requested(*live)) {
    drain_seen = true;
    if (cfg.on_drain_requested)
      cfg.on_drain_requested();
  }
  auto leases = cfg.storage->leases();
  auto& groups = table().groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    auto& ring = ring_of(groups[g], *live);
    if (g == 0)
      publish(ring, leases ? &*leases : nullptr, now, live->size());
    if (!client_only() && registered && !leaving && !ring.empty())
      rebalance(g, ring, now);
  }
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
  if (!client_only()) {
    cfg.storage->release_all(cfg.address);
    cfg.storage->unregister_runner(cfg.address);
  }
  if (cfg.on_left)
    cfg.on_left();
  self->quit();
}

namespace {

shard_manager_impl::behavior_type shard_manager_fn(shard_manager_pointer self,
                                                   shard_manager_config cfg) {
  auto& st = self->state;
  st.self = self;
  st.cfg = std::move(cfg);
  st.last_renewal_ms = st.node().clock->now_ms();
  self->set_down_handler([self](caf::down_msg&) {
    auto& st = self->state;
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
