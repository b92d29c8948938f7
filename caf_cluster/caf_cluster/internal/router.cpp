#include "caf_cluster/internal/router.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/exit_reason.hpp"
#include "caf/mailbox_element.hpp"
#include "caf/response_promise.hpp"
#include "caf/sec.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "caf_cluster/detail/backoff.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/inflight.hpp"
#include "caf_cluster/internal/local_sender.hpp"
#include "caf_cluster/internal/request.hpp"
#include "caf_cluster/internal/router_state.hpp"
#include "caf_cluster/internal/send_limits.hpp"
#include "caf_cluster/shard_id.hpp"

namespace caf_cluster::internal {

namespace {

// Errors after which another attempt may reach the right runner.
bool retryable(const caf::error& err) {
  return err == errc::entity_not_assigned_to_runner
    || err == errc::runner_unavailable || err == errc::shutting_down
    || err == caf::sec::request_receiver_down
    || err == caf::exit_reason::remote_link_unreachable
    || err == caf::exit_reason::unreachable;
}

} // namespace

void router_state::accept(detail::entity_send& x) {
  auto promise = self->make_response_promise();
  if (stopped) {
    promise.deliver(caf::make_error(errc::shutting_down, where(x)));
    return;
  }
  // Sends of this process were checked where they entered the cluster.
  auto sender = self->current_sender();
  if (!sender || sender->node() != self->node())
    if (auto err = check_send_limits(x, config())) {
      promise.deliver(std::move(err));
      return;
    }
  auto now = self->clock().now();
  // A send without a timeout (a tell) is routed until the send timeout.
  auto bound = x.timeout == caf::timespan::max() ? config().send_timeout
                                                 : x.timeout;
  job j;
  j.deadline = bound < time_point::max() - now ? now + bound
                                               : time_point::max();
  j.send = std::move(x);
  j.send.may_reroute = false;
  if (j.send.shard_group.empty())
    j.send.shard_group = cfg.node->entity_group();
  j.persisted = j.send.persisted;
  j.promise = std::move(promise);
  auto jid = next_job++;
  jobs.emplace(jid, std::move(j));
  arm_sweep();
  attempt(jid);
}

// Routes job `jid` once; everything after a send happens in callbacks.
void router_state::attempt(uint64_t jid) {
  auto i = jobs.find(jid);
  if (i == jobs.end())
    return;
  auto& j = i->second;
  j.retry_at.reset();
  ++j.attempt;
  auto index = j.send.shard_index;
  if (index < 1 || index > config().shards_per_group) {
    auto shard = make_shard_id(j.send.entity_id, j.send.shard_group,
                               config().shards_per_group);
    if (!shard) {
      finish(jid, caf::make_message(std::move(shard.error())));
      return;
    }
    index = j.send.shard_index = shard->index;
  }
  auto pos = static_cast<size_t>(index - 1);
  auto& group_owners = owners_of(j.send.shard_group);
  if (pos >= group_owners.size() || group_owners[pos].empty()) {
    // Waiting only helps while some runner may still take the shard.
    if (live_runners == 0) {
      finish(jid, caf::make_message(caf::make_error(
                    errc::runner_unavailable, where(j.send),
                    "no live runner is registered in " + config().storage)));
      return;
    }
    // Leases lost to failing storage (a full disk) must not hide why.
    auto cause = cfg.node->storage_state->failure();
    wait(
      j,
      caf::make_error(errc::runner_unavailable, where(j.send),
                      "no runner serves shard "
                        + to_string(shard_id{j.send.shard_group, index})
                        + " yet"
                        + (cause.empty() ? ""
                                         : "; runner storage fails: " + cause)));
    return;
  }
  auto& owner = group_owners[pos];
  j.target = owner;
  if (owner == address) {
    send_local(jid, j);
    return;
  }
  auto p = peers.find(owner);
  if (p != peers.end()) {
    if (p->second.handle)
      send_remote(jid, j, p->second.handle);
    else
      p->second.waiting.push_back(jid);
    return;
  }
  peers[owner].waiting.push_back(jid);
  connect(owner);
}

bool router_state::overdue(uint64_t jid, const job& j, time_point now) {
  if (now < j.deadline)
    return false;
  give_up(jid);
  return true;
}

// The first stop of a send for `type` on this runner, or an error.
caf::expected<detail::deliver_actor>
router_state::local(const std::string& type) {
  detail::deliver_actor result;
  if (!cfg.node->registry->with(type, [&](const registered_type& t) {
        result = t.deliver;
      }))
    return caf::make_error(errc::unknown_entity_type,
                           "entity type '" + type
                             + "' is not registered on runner " + address);
  return result;
}

// Sends job `jid` to this runner's own manager of its type.
void router_state::send_local(uint64_t jid, job& j) {
  auto now = self->clock().now();
  if (overdue(jid, j, now))
    return;
  auto dest = local(j.send.entity_type);
  if (!dest) {
    finish(jid,
           caf::make_message(
             caf::make_error(errc::unknown_entity_type,
                             "entity type '" + j.send.entity_type
                               + "' is not registered on this runner")));
    return;
  }
  auto x = j.send;
  x.timeout = time_left(j, now);
  request_any(self, *dest,
              caf::make_message(deliver_atom::value, std::move(x)),
              [this, jid, attempt_no = j.attempt](caf::message& reply) {
                on_reply(jid, attempt_no, reply);
              });
}

void router_state::on_reply(uint64_t jid, uint32_t attempt_no,
                            caf::message& reply) {
  auto i = jobs.find(jid);
  if (i == jobs.end())
    return;
  if (i->second.attempt != attempt_no || i->second.retry_at) {
    // A late answer to an attempt already given up on; the first answer
    // of a persisted send wins, also from the runner that lost the shard.
    if (late_reply_counts(i->second.persisted, i->second.loss, attempt_no,
                          reply))
      finish(jid, std::move(reply));
    return;
  }
  if (reply.match_elements<caf::error>()) {
    auto& err = reply.get_as<caf::error>(0);
    // A peer without the type may be one that just started and has not
    // registered it yet (or runs an older build during a rolling update).
    auto remote_unknown = err == errc::unknown_entity_type
      && i->second.target != address;
    if (retryable(err) || remote_unknown) {
      wait(i->second, err);
      return;
    }
  }
  finish(jid, std::move(reply));
}

// Schedules another attempt after a back-off of the retry interval times
// 1, 2, 4, 4, ... (bounded so a failover is noticed within one interval).
void router_state::wait(job& j, caf::error err) {
  j.last_error = std::move(err);
  auto first = config().send_retry_interval;
  j.retry_at = self->clock().now()
    + detail::backoff(first, static_cast<int>(j.attempt), first * 4);
  j.target.clear();
  arm_sweep();
}

void router_state::finish(uint64_t jid, caf::message reply) {
  auto i = jobs.find(jid);
  if (i == jobs.end())
    return;
  i->second.promise.deliver(std::move(reply));
  jobs.erase(i);
}

void router_state::give_up(uint64_t jid) {
  auto i = jobs.find(jid);
  if (i == jobs.end())
    return;
  auto& j = i->second;
  caf::error err;
  auto attempts = "gave up routing after " + std::to_string(j.attempt)
    + " attempts: ";
  if (j.retry_at && j.last_error
      && j.last_error.category() == errc_category) {
    err = caf::make_error(static_cast<errc>(j.last_error.code()),
                          where(j.send),
                          attempts + self->system().render(j.last_error));
  } else if (j.retry_at && j.last_error) {
    err = caf::make_error(errc::runner_unavailable, where(j.send),
                          attempts + self->system().render(j.last_error));
  } else {
    err = caf::make_error(errc::timeout, where(j.send));
  }
  finish(jid, caf::make_message(std::move(err)));
}

// One timer while jobs exist: retries whose back-off ended, and deadlines
// (a peer that froze never answers, so the router must give up itself).
void router_state::arm_sweep() {
  if (sweep_pending || jobs.empty())
    return;
  sweep_pending = true;
  sweep_at = self->clock().now() + config().send_retry_interval;
  self->delayed_send(self, config().send_retry_interval,
                     router_retry_atom::value);
}

void router_state::sweep() {
  // Only the armed timer: a peer can name the router itself as the sender
  // of a retry_atom, and every early sweep would arm one timer more.
  if (!sweep_pending || self->clock().now() < sweep_at)
    return;
  sweep_pending = false;
  auto now = self->clock().now();
  std::vector<uint64_t> due;
  std::vector<uint64_t> overdue_jobs;
  for (auto& kvp : jobs) {
    if (now >= kvp.second.deadline)
      overdue_jobs.push_back(kvp.first);
    else if (kvp.second.retry_at && *kvp.second.retry_at <= now)
      due.push_back(kvp.first);
  }
  for (auto jid : overdue_jobs)
    give_up(jid);
  for (auto jid : due)
    attempt(jid);
  settle_losses(now);
  arm_sweep();
}

// Notes every attempt in flight at a peer that no longer owns its shard.
void router_state::note_losses() {
  auto now = self->clock().now();
  for (auto& kvp : jobs) {
    auto& j = kvp.second;
    if (!j.retry_at && j.loss.attempt != j.attempt
        && lost_by_target(j))
      j.loss = inflight_loss{j.target, j.attempt, now};
  }
}

// Once a peer had one retry interval to answer after losing the shard:
// a persisted send goes to the new owner, a volatile one fails.
void router_state::settle_losses(time_point now) {
  std::vector<uint64_t> lost;
  for (auto& kvp : jobs) {
    auto& j = kvp.second;
    if (j.retry_at || !j.loss.known() || j.loss.attempt != j.attempt
        || now < j.loss.seen + config().send_retry_interval)
      continue;
    if (lost_by_target(j))
      lost.push_back(kvp.first);
    else
      j.loss = inflight_loss{}; // the shard came back before it mattered
  }
  if (lost.empty())
    return;
  auto& first = jobs[lost.front()];
  auto again = std::count_if(lost.begin(), lost.end(), [this](uint64_t jid) {
    return jobs[jid].persisted;
  });
  cfg.node->log->info(
    "router", lost.size(), " sends were in flight when their runner lost "
    "the shard (first: runner ", first.loss.runner, ", shard ",
    to_string(shard_id{first.send.shard_group, first.send.shard_index}),
    "): ", again, " persisted go to the new owner, the volatile ones that "
    "left fail");
  for (auto jid : lost) {
    auto& j = jobs[jid];
    if (j.persisted || !sent(j))
      attempt(jid);
    else
      finish(jid, caf::make_message(lost_shard_error(
                    where(j.send), j.loss.runner, j.send.shard_group,
                    j.send.shard_index)));
  }
}

void router_state::on_assignments(const std::string& group,
                                  std::vector<std::string>& xs, int32_t live) {
  auto& current = owners[group];
  if (xs == current && live == live_runners)
    return;
  current = std::move(xs);
  live_runners = live;
  // A new map may name a reachable owner: no reason to sit out a back-off.
  std::vector<uint64_t> waiting;
  for (auto& kvp : jobs)
    if (kvp.second.retry_at)
      waiting.push_back(kvp.first);
  for (auto jid : waiting)
    attempt(jid);
  note_losses();
}

// Whether the control message `what` in hand comes from an actor of this
// runner; if not, it is logged and, if it was a request, refused.
bool router_state::from_local(const char* what) {
  auto& sender = self->current_sender();
  if (local_sender(self, sender))
    return true;
  refuse_control(what);
  return false;
}

void router_state::refuse_control(const char* what) {
  auto& sender = self->current_sender();
  refusals->dropped(*cfg.node->log, what, sender);
  // Never to the router itself (a forged sender): an error it did not ask
  // for would reach its error handler.
  if (self->current_message_id().is_request() && sender
      && sender != self->ctrl())
    self->make_response_promise().deliver(
      caf::make_error(errc::forbidden, std::string{what}));
}

// The shard map is taken from this runner's shard manager only (it never
// talks to the network, so no peer can pose as it).
bool router_state::from_shard_manager() {
  if (shard_manager
      && self->current_sender()
        == caf::actor_cast<caf::strong_actor_ptr>(shard_manager))
    return true;
  refuse_control("a shard map");
  return false;
}

void router_state::stop() {
  stopped = true;
  flush(); // replies to peers collected in this turn
  std::vector<uint64_t> all;
  for (auto& kvp : jobs)
    all.push_back(kvp.first);
  for (auto jid : all)
    finish(jid,
           caf::make_message(
             caf::make_error(errc::shutting_down, where(jobs[jid].send))));
  self->quit();
}

namespace {

using router_pointer = router_impl::stateful_pointer<router_state>;

router_impl::behavior_type router_fn(router_pointer self, router_config cfg) {
  auto& st = self->state;
  st.self = self;
  st.cfg = std::move(cfg);
  self->set_down_handler([self](caf::down_msg& dm) {
    self->state.on_peer_down(dm.source);
  });
  // CAF's default stops an actor on any error message it did not ask for,
  // and a peer can send one.
  self->set_error_handler([self](caf::error&) {
    self->state.refusals->dropped(*self->state.cfg.node->log, "an error message",
                                 self->current_sender());
  });
  // A peer's exit message must not stop the router (its runner would keep
  // its leases and serve nothing); kills are filtered in `router::enqueue`.
  self->set_exit_handler([self](caf::exit_msg& em) {
    auto from = self->current_sender();
    if (!from)
      from = caf::actor_cast<caf::strong_actor_ptr>(em.source);
    if (!local_sender(self, from)) {
      self->state.refusals->dropped(*self->state.cfg.node->log,
                                   "an exit message", from);
      return;
    }
    if (em.reason)
      self->quit(std::move(em.reason));
  });
  return {
    [=](deliver_atom, detail::entity_send& x) {
      self->state.accept(x);
    },
    [=](deliver_batch_atom, std::vector<envelope>& batch) {
      self->state.serve_batch(batch);
    },
    [=](reply_batch_atom, std::vector<reply_envelope>& replies) {
      if (!self->state.from_peer())
        return;
      for (auto& x : replies)
        self->state.on_reply(x.job, x.attempt, x.reply);
    },
    [=](router_flush_atom) {
      self->state.flush();
    },
    [=](assignments_atom, std::string& group,
        std::vector<std::string>& owners, int32_t live) {
      if (self->state.from_shard_manager())
        self->state.on_assignments(group, owners, live);
    },
    [=](router_retry_atom) {
      self->state.sweep();
    },
    [=](address_atom, std::string& address, shard_manager_actor& mgr) {
      // Told once, by the shard manager itself.
      auto& st = self->state;
      if (st.shard_manager) {
        st.refuse_control("an address message");
        return;
      }
      if (!st.from_local("an address message"))
        return;
      if (self->current_sender()
          != caf::actor_cast<caf::strong_actor_ptr>(mgr)) {
        st.refuse_control("an address message");
        return;
      }
      st.address = std::move(address);
      st.shard_manager = std::move(mgr);
    },
    [=](shutdown_atom) {
      if (self->state.from_local("a shutdown message"))
        self->state.stop();
    },
  };
}

// The router as a class: CAF handles an exit message with reason `kill`
// before any handler sees it, so a peer's kill is dropped on its way in.
class router final
  : public caf::stateful_actor<router_state, router_impl::base> {
public:
  using super = caf::stateful_actor<router_state, router_impl::base>;

  router(caf::actor_config& acfg, router_config cfg)
    : super(acfg), node_(cfg.node), cfg_(std::move(cfg)) {
    // nop
  }

  behavior_type make_behavior() override {
    state.refusals = refusals_;
    return router_fn(this, std::move(cfg_));
  }

  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* eu) override {
    auto& content = ptr->content();
    if (content.match_elements<caf::exit_msg>()) {
      auto& em = content.get_as<caf::exit_msg>(0);
      auto from = ptr->sender
        ? ptr->sender
        : caf::actor_cast<caf::strong_actor_ptr>(em.source);
      if (em.reason == caf::exit_reason::kill && !local_sender(this, from)) {
        refusals_->dropped(*node_->log, "a kill", from);
        return;
      }
    }
    super::enqueue(std::move(ptr), eu);
  }

private:
  std::shared_ptr<refusal_log> refusals_ = std::make_shared<refusal_log>();
  node_ptr node_;
  router_config cfg_;
};

} // namespace

router_actor spawn_router(caf::actor_system& sys, router_config cfg) {
  return sys.spawn<router>(std::move(cfg));
}

} // namespace caf_cluster::internal
