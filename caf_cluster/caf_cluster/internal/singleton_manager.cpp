#include "caf_cluster/internal/singleton_manager.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/mailbox_element.hpp"
#include "caf/response_promise.hpp"
#include "caf/sec.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"

#include "caf_cluster/atoms.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/any_response.hpp"
#include "caf_cluster/internal/delivery.hpp"
#include "caf_cluster/internal/entity_manager.hpp"
#include "caf_cluster/shard_id.hpp"
#include "caf_cluster/singleton.hpp"

namespace caf_cluster::internal {

namespace {

using time_point = caf::actor_clock::time_point;

// A singleton that ran this long without crashing starts its back-off anew.
constexpr auto stable_after = std::chrono::seconds{30};

struct singleton_entry {
  int32_t index = 0;
  singleton_factory factory;
  caf::actor actor;        // the running instance, if any
  uint64_t generation = 0; // bumped per start; tells timers apart
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
};

struct singleton_manager_state {
  static inline const char* name = "caf_cluster.singleton_manager";

  caf::event_based_actor* self = nullptr;
  singleton_manager_config cfg;
  std::map<std::string, singleton_entry> singletons;
  std::set<int32_t> held;
  std::unordered_map<caf::actor_addr, std::string> names;
  std::vector<shard_wait> waits; // stop_shard requests not answered yet
  std::unordered_map<uint64_t, forwarded> replies; // by request id
  bool stopping_all = false;

  // A manager that dies for any reason takes its singletons along: nothing
  // else would ever stop them.
  ~singleton_manager_state() {
    for (auto& kvp : singletons)
      if (kvp.second.actor) {
        caf::anon_send_exit(kvp.second.actor, caf::exit_reason::kill);
        cfg.running->fetch_sub(1, std::memory_order_relaxed);
      }
  }

  // Whether this runner may run singletons of shard `index` now: it holds
  // the lease, and the lease is not about to lapse (the deadline the shard
  // manager extends with every refresh is more than a check away).
  bool holds(int32_t index) const {
    if (stopping_all)
      return false;
    if (cfg.holds_everything)
      return true;
    if (held.count(index) == 0)
      return false;
    auto until = cfg.shards->until(index);
    return until == shard_table::always
      || until - cfg.clock->now_ms() > to_ms(cfg.check_interval);
  }

  // Kills singletons whose lease is about to lapse without a refresh (the
  // shard manager is stuck in storage calls, or cut off) and starts those
  // whose shard became servable.
  void check() {
    for (auto& [name, entry] : singletons) {
      // A deadline of 0 means a stop is on its way, with its own grace.
      if (entry.actor && !entry.stopping && cfg.shards->until(entry.index) != 0
          && !holds(entry.index))
        stop(name, entry, caf::timespan{0});
    }
    start_all();
  }

  void start_all() {
    for (auto& [name, entry] : singletons)
      start(name, entry);
  }

  void add(const std::string& name, int32_t index, singleton_factory& f) {
    auto& entry = singletons[name];
    entry.index = index;
    entry.factory = std::move(f);
    start(name, entry);
  }

  void start(const std::string& name, singleton_entry& entry) {
    if (entry.actor || entry.finished || entry.restart_pending
        || !holds(entry.index))
      return;
    entry.actor = entry.factory(self);
    if (!entry.actor)
      return;
    ++entry.generation;
    entry.stopping = false;
    entry.started = self->clock().now();
    names.emplace(entry.actor.address(), name);
    self->monitor(entry.actor);
    cfg.running->fetch_add(1, std::memory_order_relaxed);
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
    cfg.running->fetch_sub(1, std::memory_order_relaxed);
    if (!entry.stopping) {
      if (msg.reason == caf::exit_reason::normal || !msg.reason) {
        entry.finished = true;
      } else {
        auto now = self->clock().now();
        entry.crashes = now - entry.started >= stable_after ? 1
                                                            : entry.crashes + 1;
        entry.restart_pending = true;
        self->delayed_send(self, singleton_backoff(entry.crashes),
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

  void on_held(const std::vector<int32_t>& xs) {
    std::set<int32_t> now{xs.begin(), xs.end()};
    for (auto& [name, entry] : singletons)
      if (now.count(entry.index) == 0)
        stop(name, entry, cfg.grace);
    for (auto& [name, entry] : singletons) {
      if (now.count(entry.index) > 0 && held.count(entry.index) == 0) {
        // A new lease: a fresh start, whatever happened under the last one.
        entry.finished = false;
        entry.crashes = 0;
      }
    }
    held = std::move(now);
    start_all();
  }

  bool alive(int32_t index) const {
    return std::any_of(singletons.begin(), singletons.end(), [&](auto& kvp) {
      return kvp.second.index == index && kvp.second.actor;
    });
  }

  void stop_shard(const std::string& group, int32_t index,
                  caf::timespan grace) {
    auto rp = self->make_response_promise();
    if (group != cfg.shard_group) {
      rp.deliver(caf::unit);
      return;
    }
    held.erase(index);
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
      stop(name, entry, cfg.grace);
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

  void deliver(std::string& name, caf::message& payload,
               std::optional<caf::timespan> timeout, bool reroute,
               const delivery& meta) {
    auto rp = self->make_response_promise();
    auto where = "singleton '" + name + "'";
    if (stopping_all) {
      rp.deliver(caf::make_error(errc::shutting_down, where));
      return;
    }
    auto i = singletons.find(name);
    if (i != singletons.end() && i->second.actor && !i->second.stopping
        && holds(i->second.index)) {
      forward(i->second.actor, std::move(payload), std::move(rp), timeout,
              where);
      return;
    }
    auto shard = make_shard_id(name, cfg.shard_group, cfg.shards_per_group);
    if (!shard) {
      rp.deliver(std::move(shard.error()));
      return;
    }
    if (holds(shard->index) && i == singletons.end()) {
      rp.deliver(caf::make_error(errc::unknown_entity_type,
                                 where + " is not registered on this runner"));
      return;
    }
    if (holds(shard->index) && i->second.finished) {
      rp.deliver(caf::make_error(errc::entity_failed,
                                 where
                                   + " quit; it starts again when its "
                                     "shard moves"));
      return;
    }
    // Served elsewhere, or restarting here: the router retries until it
    // reaches a running instance or the send times out.
    if (reroute && cfg.router) {
      rp.delegate(cfg.router, deliver_atom::value, singleton_entity_type,
                  std::move(name), std::move(payload),
                  timeout.value_or(cfg.send_timeout), meta);
      return;
    }
    rp.deliver(
      caf::make_error(errc::entity_not_assigned_to_runner,
                      holds(shard->index) ? where + " is restarting" : where));
  }

  // Sends `msg` to `dest` as this manager's request and relays the reply;
  // the timeout is enforced here because clients request with `infinite`.
  void forward(const caf::actor& dest, caf::message msg,
               caf::response_promise rp, std::optional<caf::timespan> timeout,
               const std::string& where) {
    auto mid = self->new_request_id(caf::message_priority::normal);
    auto id = mid.integer_value();
    replies.emplace(id, forwarded{dest.address(), where, std::move(rp)});
    dest->enqueue(caf::make_mailbox_element(self->ctrl(), mid, {},
                                            std::move(msg)),
                  self->context());
    self->add_multiplexed_response_handler(
      mid.response_id(), any_response([this, id](caf::message& reply) {
        auto i = replies.find(id);
        if (i == replies.end())
          return; // answered when the instance went down
        auto f = std::move(i->second);
        replies.erase(i);
        if (reply.match_elements<caf::error>()
            && reply.get_as<caf::error>(0) == caf::sec::request_timeout)
          f.promise.deliver(caf::make_error(errc::timeout, f.where));
        else
          f.promise.deliver(std::move(reply));
      }));
    auto t = timeout.value_or(cfg.send_timeout);
    if (t != caf::timespan::max())
      self->request_response_timeout(caf::duration{t}, mid);
  }
};

caf::behavior
singleton_manager_impl(caf::stateful_actor<singleton_manager_state>* self,
                       singleton_manager_config cfg) {
  auto& st = self->state;
  st.self = self;
  st.cfg = std::move(cfg);
  self->set_down_handler([self](caf::down_msg& msg) {
    self->state.on_down(msg);
  });
  if (!st.cfg.holds_everything)
    self->send(self, check_atom::value);
  return {
    [=](check_atom) {
      self->state.check();
      self->delayed_send(self, self->state.cfg.check_interval,
                         check_atom::value);
    },
    [=](add_singleton_atom, const std::string& name, int32_t index,
        singleton_factory& f) {
      self->state.add(name, index, f);
    },
    [=](held_atom, const std::vector<int32_t>& xs) {
      self->state.on_held(xs);
    },
    [=](restart_atom, const std::string& name, uint64_t generation) {
      self->state.on_restart(name, generation);
    },
    [=](grace_atom, const std::string& name, uint64_t generation) {
      self->state.on_grace_over(name, generation);
    },
    [=](stop_shard_atom, const std::string& group, int32_t index,
        caf::timespan grace) {
      self->state.stop_shard(group, index, grace);
    },
    [=](resume_atom, const std::vector<int32_t>&) {
      // These shards serve now (their stored messages were recovered).
      self->state.start_all();
    },
    [=](recover_atom, const std::vector<storage::request_row>&) {
      return caf::unit; // singletons have no stored messages
    },
    [=](shutdown_atom) {
      self->state.stop_all();
    },
    [=](deliver_atom, const std::string&, std::string& name,
        caf::message& payload) {
      self->state.deliver(name, payload, std::nullopt, true, {});
    },
    [=](deliver_atom, const std::string&, std::string& name,
        caf::message& payload, caf::timespan timeout) {
      self->state.deliver(name, payload, timeout, true, {});
    },
    [=](deliver_atom, const std::string&, std::string& name,
        caf::message& payload, caf::timespan timeout, delivery& meta) {
      self->state.deliver(name, payload, timeout, true, meta);
    },
    [=](deliver_here_atom, const std::string&, std::string& name,
        caf::message& payload, caf::timespan timeout, delivery& meta) {
      self->state.deliver(name, payload, timeout, false, meta);
    },
  };
}

} // namespace

caf::actor spawn_singleton_manager(caf::actor_system& sys,
                                   singleton_manager_config cfg) {
  return sys.spawn(singleton_manager_impl, std::move(cfg));
}

caf::timespan singleton_backoff(int n) {
  auto ms = int64_t{200};
  for (int i = 1; i < n && ms < 30'000; ++i)
    ms *= 2;
  return std::chrono::milliseconds{std::min<int64_t>(ms, 30'000)};
}

} // namespace caf_cluster::internal
