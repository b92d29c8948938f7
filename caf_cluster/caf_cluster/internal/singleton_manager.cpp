#include "caf_cluster/internal/singleton_manager.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/exit_reason.hpp"
#include "caf/response_promise.hpp"
#include "caf/sec.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "caf_cluster/detail/backoff.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/deadline_watch.hpp"
#include "caf_cluster/internal/lease_guard.hpp"
#include "caf_cluster/internal/request.hpp"
#include "caf_cluster/shard_id.hpp"
#include "caf_cluster/singleton.hpp"

namespace caf_cluster::internal {

namespace {

// -- private messages ---------------------------------------------------------

/// Timer: start singletons whose shard serves again.
using check_atom = caf::atom_constant<caf::atom("cc_check")>;

/// Timer `(name, generation)`: restart a crashed singleton.
using restart_atom = caf::atom_constant<caf::atom("cc_restart")>;

/// Timer `(name, generation)`: kill a singleton whose grace period ended.
using grace_atom = caf::atom_constant<caf::atom("cc_grace")>;

/// Timer: answer forwarded messages past their sender's timeout.
using expire_atom = caf::atom_constant<caf::atom("cc_expire")>;

using singleton_manager_impl = singleton_manager_actor::extend<
  caf::reacts_to<check_atom>,
  caf::reacts_to<restart_atom, std::string, uint64_t>,
  caf::reacts_to<grace_atom, std::string, uint64_t>,
  caf::reacts_to<expire_atom>, caf::reacts_to<lease_check_atom, uint64_t>>;

using time_point = caf::actor_clock::time_point;

// A singleton that ran this long without crashing starts its back-off anew.
constexpr auto stable_after = std::chrono::seconds{30};

caf::timespan restart_backoff(int n) {
  return detail::backoff(std::chrono::milliseconds{200}, n,
                         std::chrono::seconds{30});
}

struct singleton_entry {
  int32_t index = 0;
  detail::singleton_factory factory;
  caf::actor actor;        // the running instance, if any
  uint64_t generation = 0; // bumped per start; tells timers apart
  int64_t epoch = -1;      // the lease epoch its last start ran under
  bool stopping = false;   // exit sent, down message pending
  bool restart_pending = false;
  bool finished = false; // quit normally: waits for its shard to return
  int crashes = 0;       // consecutive crashes
  time_point started;
};

struct shard_wait {
  int32_t index = 0;
  caf::response_promise promise;
};

// A message forwarded to a singleton, until it replies.
struct forwarded {
  caf::actor_addr instance;
  std::string where;
  caf::response_promise promise;
  time_point deadline;
};

struct singleton_manager_state {
  static inline const char* name = "caf_cluster.singleton_manager";

  singleton_manager_impl::pointer self = nullptr;
  singleton_manager_config cfg;
  std::map<std::string, singleton_entry> singletons;
  std::unordered_map<caf::actor_addr, std::string> names;
  std::vector<shard_wait> waits; // stop_shard requests not answered yet
  std::unordered_map<uint64_t, forwarded> replies; // by forward number
  uint64_t next_forward = 1;
  deadline_watch deadlines;
  lease_guard guard;
  bool stopping_all = false;

  // A manager that dies for any reason takes its singletons along: nothing
  // else would ever stop them.
  ~singleton_manager_state() {
    for (auto& kvp : singletons)
      if (kvp.second.actor) {
        caf::anon_send_exit(kvp.second.actor, caf::exit_reason::kill);
        cfg.node->running_singletons->fetch_sub(1, std::memory_order_relaxed);
      }
  }

  const shard_table& table() const {
    return *cfg.node->shards;
  }

  // Whether singletons of shard `index` may run now: it serves here, before
  // its deadline (one refresh interval before the lease could lapse).
  bool holds(int32_t index) const {
    return !stopping_all && table().active(index, *cfg.node->clock);
  }

  // Starts the singletons whose shard serves here (again).
  void check() {
    start_all();
  }

  // Kills, at their shard's deadline, singletons whose lease was not
  // refreshed in time (the shard manager hangs in storage calls, or is cut
  // off); a shard being handed over gets its stop with a grace instead.
  void on_lease_check(uint64_t seq) {
    if (!guard.fired(seq))
      return;
    for (auto& [name, entry] : singletons)
      if (entry.actor && table().lapsed(entry.index, *cfg.node->clock))
        stop(name, entry, caf::timespan{0});
    arm_guard();
  }

  void arm_guard() {
    guard.arm(self, table(), *cfg.node->clock,
              cfg.occupancy->occupied_shards());
  }

  void start_all() {
    for (auto& [name, entry] : singletons)
      start(name, entry);
  }

  void add(const std::string& name, int32_t index,
           detail::singleton_factory& f) {
    auto& entry = singletons[name];
    entry.index = index;
    entry.factory = std::move(f);
    start(name, entry);
  }

  void start(const std::string& name, singleton_entry& entry) {
    if (entry.actor || entry.restart_pending)
      return;
    // Counted before the table is read: a shard manager that drains the
    // shard right now then sees this singleton and stops it (the order the
    // entity managers keep too, see docs/architecture.md §4).
    cfg.occupancy->enter(entry.index);
    if (!holds(entry.index)) {
      cfg.occupancy->leave(entry.index);
      return;
    }
    auto epoch = table().epoch(entry.index);
    if (epoch != entry.epoch) {
      // A new lease: a fresh start, whatever happened under the last one.
      entry.epoch = epoch;
      entry.finished = false;
      entry.crashes = 0;
    }
    if (!entry.finished) // one that quit waits for its shard to come back
      entry.actor = entry.factory(self);
    if (!entry.actor) {
      cfg.occupancy->leave(entry.index);
      return;
    }
    ++entry.generation;
    entry.stopping = false;
    entry.started = self->clock().now();
    names.emplace(entry.actor.address(), name);
    self->monitor(entry.actor);
    cfg.node->running_singletons->fetch_add(1, std::memory_order_relaxed);
    cfg.node->log->info("singletons", "singleton '", name, "' started (shard ",
                        entry.index, ", epoch ", epoch, ")");
    arm_guard();
  }

  // Asks the singleton to exit; kills it if it is still there after `grace`.
  void stop(const std::string& name, singleton_entry& entry,
            caf::timespan grace) {
    entry.restart_pending = false;
    if (!entry.actor)
      return;
    if (grace.count() <= 0) {
      self->send_exit(entry.actor, caf::exit_reason::kill);
    } else if (!entry.stopping) {
      self->send_exit(entry.actor, caf::exit_reason::user_shutdown);
      self->delayed_send(self, grace, grace_atom::value, name,
                         entry.generation);
    }
    entry.stopping = true;
  }

  void on_grace_over(const std::string& name, uint64_t generation) {
    auto i = singletons.find(name);
    if (i != singletons.end() && i->second.actor
        && i->second.generation == generation)
      self->send_exit(i->second.actor, caf::exit_reason::kill);
  }

  void on_down(caf::down_msg& msg) {
    auto n = names.find(msg.source);
    if (n == names.end())
      return;
    auto name = std::move(n->second);
    names.erase(n);
    auto& entry = singletons[name];
    entry.actor = nullptr;
    cfg.occupancy->leave(entry.index);
    cfg.node->running_singletons->fetch_sub(1, std::memory_order_relaxed);
    auto& log = *cfg.node->log;
    if (entry.stopping)
      log.info("singletons", "singleton '", name, "' stopped");
    if (!entry.stopping) {
      if (msg.reason == caf::exit_reason::normal || !msg.reason) {
        log.info("singletons", "singleton '", name, "' finished");
        entry.finished = true;
      } else {
        auto now = self->clock().now();
        entry.crashes = now - entry.started >= stable_after ? 1
                                                            : entry.crashes + 1;
        entry.restart_pending = true;
        log.warning("singletons", "singleton '", name, "' failed (", msg.reason,
                    "), restart ", entry.crashes, " follows");
        self->delayed_send(self, restart_backoff(entry.crashes),
                           restart_atom::value, name, entry.generation);
      }
    }
    entry.stopping = false;
    fail_forwarded(msg.source, name);
    answer_waits();
    // Stopped while its shard came back (or a lease arrived meanwhile).
    start(name, entry);
  }

  // Requests the instance took with it: a retryable error, so that the
  // router sends them to the next instance.
  void fail_forwarded(const caf::actor_addr& instance,
                      const std::string& name) {
    for (auto i = replies.begin(); i != replies.end();) {
      if (i->second.instance == instance) {
        i->second.promise.deliver(caf::make_error(
          errc::entity_not_assigned_to_runner,
          "singleton '" + name + "' stopped before it replied"));
        i = replies.erase(i);
      } else {
        ++i;
      }
    }
  }

  void on_restart(const std::string& name, uint64_t generation) {
    auto i = singletons.find(name);
    if (i == singletons.end() || i->second.generation != generation
        || !i->second.restart_pending)
      return;
    i->second.restart_pending = false;
    start(name, i->second);
  }

  bool alive(int32_t index) const {
    return std::any_of(singletons.begin(), singletons.end(), [&](auto& kvp) {
      return kvp.second.index == index && kvp.second.actor;
    });
  }

  void stop_shard(int32_t index, caf::timespan grace) {
    auto rp = self->make_response_promise();
    for (auto& [name, entry] : singletons)
      if (entry.index == index)
        stop(name, entry, grace);
    waits.push_back(shard_wait{index, std::move(rp)});
    answer_waits();
  }

  void stop_all() {
    if (stopping_all)
      return;
    stopping_all = true;
    for (auto& [name, entry] : singletons)
      stop(name, entry, cfg.node->config.entity_termination_timeout);
    answer_waits();
  }

  void answer_waits() {
    for (auto i = waits.begin(); i != waits.end();) {
      if (alive(i->index)) {
        ++i;
      } else {
        i->promise.deliver(caf::unit);
        i = waits.erase(i);
      }
    }
    if (stopping_all && names.empty())
      self->quit();
  }

  // -- messages for singletons ----------------------------------------------

  void deliver(detail::entity_send& x) {
    auto rp = self->make_response_promise();
    auto where = "singleton '" + x.entity_id + "'";
    if (stopping_all) {
      rp.deliver(caf::make_error(errc::shutting_down, where));
      return;
    }
    auto i = singletons.find(x.entity_id);
    if (i != singletons.end() && i->second.actor && !i->second.stopping
        && holds(i->second.index)) {
      forward(i->second.actor, std::move(x.payload), std::move(rp), x.timeout,
              where);
      return;
    }
    auto index = x.shard_index;
    if (index < 1 || index > table().size()) {
      auto shard = make_shard_id(x.entity_id, cfg.node->entity_group(),
                                 table().size());
      if (!shard) {
        rp.deliver(std::move(shard.error()));
        return;
      }
      index = shard->index;
    }
    if (holds(index) && i == singletons.end()) {
      rp.deliver(caf::make_error(errc::unknown_entity_type,
                                 where + " is not registered on this runner"));
      return;
    }
    if (holds(index) && i->second.finished) {
      rp.deliver(caf::make_error(errc::entity_failed,
                                 where
                                   + " quit; it starts again when its "
                                     "shard moves"));
      return;
    }
    // Served elsewhere, or restarting here: the router retries until it
    // reaches a running instance or the send times out.
    if (x.may_reroute && cfg.router) {
      x.shard_index = index;
      rp.delegate(cfg.router, deliver_atom::value, std::move(x));
      return;
    }
    rp.deliver(
      caf::make_error(errc::entity_not_assigned_to_runner,
                      holds(index) ? where + " is restarting" : where));
  }

  // Sends `msg` to `dest` as this manager's request and relays the reply;
  // the timeout is enforced here because clients request with `infinite`.
  void forward(const caf::actor& dest, caf::message msg,
               caf::response_promise rp, caf::timespan timeout,
               const std::string& where) {
    auto t = timeout != caf::timespan::max() ? timeout
                                             : cfg.node->config.send_timeout;
    auto now = self->clock().now();
    auto deadline = t < time_point::max() - now ? now + t : time_point::max();
    auto n = next_forward++;
    replies.emplace(n,
                    forwarded{dest.address(), where, std::move(rp), deadline});
    if (deadline != time_point::max())
      deadlines.watch(self, deadline, expire_atom::value);
    request_any(self, dest, std::move(msg), [this, n](caf::message& reply) {
      auto i = replies.find(n);
      if (i == replies.end())
        return; // answered when the instance went down or timed out
      auto f = std::move(i->second);
      replies.erase(i);
      f.promise.deliver(std::move(reply));
    });
  }

  void expire_overdue() {
    deadlines.fired();
    auto now = self->clock().now();
    auto next = time_point::max();
    for (auto i = replies.begin(); i != replies.end();) {
      if (i->second.deadline <= now) {
        i->second.promise.deliver(
          caf::make_error(errc::timeout, i->second.where));
        i = replies.erase(i);
        continue;
      }
      next = std::min(next, i->second.deadline);
      ++i;
    }
    if (next != time_point::max())
      deadlines.watch(self, next, expire_atom::value);
  }
};

using singleton_pointer
  = singleton_manager_impl::stateful_pointer<singleton_manager_state>;

singleton_manager_impl::behavior_type
singleton_manager_impl_fn(singleton_pointer self,
                          singleton_manager_config cfg) {
  auto& st = self->state;
  st.self = self;
  st.cfg = std::move(cfg);
  self->set_down_handler([self](caf::down_msg& msg) {
    self->state.on_down(msg);
  });
  auto clustered = st.cfg.router != nullptr;
  if (clustered)
    self->send(self, check_atom::value);
  return {
    [=](check_atom) {
      self->state.check();
      self->delayed_send(self,
                         self->state.cfg.node->config.lease_refresh_interval,
                         check_atom::value);
    },
    [=](lease_check_atom, uint64_t seq) {
      self->state.on_lease_check(seq);
    },
    [=](add_singleton_atom, const std::string& name, int32_t index,
        detail::singleton_factory& f) {
      self->state.add(name, index, f);
    },
    [=](held_atom) {
      self->state.start_all();
    },
    [=](restart_atom, const std::string& name, uint64_t generation) {
      self->state.on_restart(name, generation);
    },
    [=](grace_atom, const std::string& name, uint64_t generation) {
      self->state.on_grace_over(name, generation);
    },
    [=](expire_atom) {
      self->state.expire_overdue();
    },
    [=](stop_shard_atom, int32_t index, caf::timespan grace) {
      self->state.stop_shard(index, grace);
      return caf::delegated<void>{};
    },
    [=](shutdown_atom) {
      self->state.stop_all();
    },
    [=](deliver_atom, detail::entity_send& x) {
      self->state.deliver(x);
    },
  };
}

} // namespace

singleton_manager_actor spawn_singleton_manager(caf::actor_system& sys,
                                                singleton_manager_config cfg) {
  return sys.spawn(singleton_manager_impl_fn, std::move(cfg));
}

} // namespace caf_cluster::internal
