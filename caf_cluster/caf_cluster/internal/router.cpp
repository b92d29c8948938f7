#include "caf_cluster/internal/router.hpp"

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/response_promise.hpp"
#include "caf/sec.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"

#include "caf_cluster/atoms.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/any_response.hpp"
#include "caf_cluster/internal/envelope.hpp"
#include "caf_cluster/internal/sharding_state.hpp"
#include "caf_cluster/shard_id.hpp"

namespace caf_cluster::internal {

namespace {

using time_point = caf::actor_clock::time_point;

// A message on its way to the runner that serves its shard.
struct job {
  std::string type;
  std::string id;
  caf::message payload;
  delivery meta;
  caf::response_promise promise;
  time_point deadline;
  uint32_t attempt = 0;
  std::string target;                       // runner it was sent to
  std::optional<time_point> retry_at;       // set while waiting to retry
  caf::error last_error;                    // why the last attempt failed
};

struct peer {
  caf::actor handle; // null while connecting
  std::vector<uint64_t> waiting; // jobs waiting for the connection
};

// Errors after which another attempt may reach the right runner.
bool retryable(const caf::error& err) {
  return err == errc::entity_not_assigned_to_runner
         || err == errc::runner_unavailable || err == errc::shutting_down
         || err == caf::sec::request_receiver_down
         || err == caf::exit_reason::remote_link_unreachable
         || err == caf::exit_reason::unreachable;
}

struct router_state {
  static inline const char* name = "caf_cluster.router";

  caf::event_based_actor* self = nullptr;
  router_config cfg;
  std::vector<std::string> owners; // shard index - 1 -> runner address
  std::unordered_map<uint64_t, job> jobs;
  std::unordered_map<std::string, peer> peers;
  std::unordered_map<caf::actor_addr, std::string> peer_by_handle;
  uint64_t next_job = 1;
  // Batches collected in this turn of the mailbox, per peer router.
  std::unordered_map<caf::actor, std::vector<envelope>> outbox;
  std::unordered_map<caf::strong_actor_ptr, std::vector<reply_envelope>> reply_box;
  bool flush_pending = false;
  bool sweep_pending = false;
  bool stopped = false;

  std::string where(const job& j) const {
    return j.type + "/" + j.id;
  }

  void accept(std::string type, std::string id, caf::message payload,
              caf::timespan timeout, delivery meta = {}) {
    auto promise = self->make_response_promise();
    if (stopped) {
      promise.deliver(caf::make_error(errc::shutting_down, type + "/" + id));
      return;
    }
    // The send enters the cluster here: every retry carries this identity,
    // so a persisted message is stored once however often it is re-sent.
    if (meta.request_id == 0) {
      auto st = cfg.sharding.lock();
      if (!st) {
        promise.deliver(caf::make_error(errc::shutting_down, type + "/" + id));
        return;
      }
      meta.request_id = st->snowflakes.next().value();
      meta.origin = st->origin;
    }
    auto now = self->clock().now();
    job j;
    j.type = std::move(type);
    j.id = std::move(id);
    j.payload = std::move(payload);
    j.meta = meta;
    j.promise = std::move(promise);
    j.deadline = timeout < time_point::max() - now ? now + timeout
                                                   : time_point::max();
    auto jid = next_job++;
    jobs.emplace(jid, std::move(j));
    arm_sweep();
    attempt(jid);
  }

  // Routes job `jid` once; everything after a send happens in callbacks.
  void attempt(uint64_t jid) {
    auto i = jobs.find(jid);
    if (i == jobs.end())
      return;
    auto& j = i->second;
    j.retry_at.reset();
    ++j.attempt;
    auto shard = make_shard_id(j.id, cfg.group, cfg.shards_per_group);
    if (!shard) {
      finish(jid, caf::make_message(std::move(shard.error())));
      return;
    }
    auto index = static_cast<size_t>(shard->index - 1);
    if (index >= owners.size() || owners[index].empty()) {
      wait(j, caf::make_error(errc::runner_unavailable, where(j),
                              "no runner serves shard " + to_string(*shard)
                                + " yet"));
      return;
    }
    auto& owner = owners[index];
    j.target = owner;
    if (owner == cfg.address) {
      auto st = cfg.sharding.lock();
      auto mgr = st ? st->manager(j.type) : caf::actor{};
      if (!mgr) {
        finish(jid, caf::make_message(caf::make_error(
                      errc::unknown_entity_type,
                      "entity type '" + j.type
                        + "' is not registered on this runner")));
        return;
      }
      send_local(jid, j, mgr);
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

  void connect(const std::string& address) {
    cfg.transport->connect(self, address, [this, address](
                                            caf::expected<caf::actor> hdl) {
      auto p = peers.find(address);
      if (p == peers.end())
        return;
      auto waiting = std::move(p->second.waiting);
      if (!hdl) {
        peers.erase(p);
        for (auto jid : waiting)
          if (auto i = jobs.find(jid); i != jobs.end())
            wait(i->second, hdl.error());
        return;
      }
      p->second.handle = *hdl;
      peer_by_handle[hdl->address()] = address;
      self->monitor(*hdl);
      for (auto jid : waiting)
        if (auto i = jobs.find(jid); i != jobs.end())
          send_remote(jid, i->second, *hdl);
    });
  }

  // Queues job `jid` for the peer `dest`; the batch leaves at the end of
  // this turn of the mailbox.
  void send_remote(uint64_t jid, job& j, const caf::actor& dest) {
    auto now = self->clock().now();
    if (now >= j.deadline) {
      give_up(jid);
      return;
    }
    auto& box = outbox[dest];
    box.push_back(envelope{jid, j.attempt, j.type, j.id, j.payload,
                           time_left(j, now), j.meta});
    schedule_flush();
  }

  static caf::timespan time_left(const job& j, time_point now) {
    return j.deadline == time_point::max() ? caf::timespan::max()
                                           : caf::timespan{j.deadline - now};
  }

  void schedule_flush() {
    if (flush_pending)
      return;
    flush_pending = true;
    self->send(self, flush_atom::value);
  }

  void flush() {
    flush_pending = false;
    for (auto& kvp : outbox)
      if (!kvp.second.empty())
        self->send(kvp.first, deliver_batch_atom::value, std::move(kvp.second));
    outbox.clear();
    for (auto& kvp : reply_box)
      if (!kvp.second.empty())
        self->send(caf::actor_cast<caf::actor>(kvp.first),
                   reply_batch_atom::value, std::move(kvp.second));
    reply_box.clear();
  }

  // Sends job `jid` to this runner's own entity manager.
  void send_local(uint64_t jid, job& j, const caf::actor& dest) {
    auto now = self->clock().now();
    if (now >= j.deadline) {
      give_up(jid);
      return;
    }
    auto attempt_no = j.attempt;
    auto left = time_left(j, now);
    auto mid = self->new_request_id(caf::message_priority::normal);
    dest->enqueue(caf::make_mailbox_element(
                    self->ctrl(), mid, {}, deliver_here_atom::value, j.type,
                    j.id, j.payload, left, j.meta),
                  self->context());
    self->add_multiplexed_response_handler(
      mid.response_id(), any_response([this, jid, attempt_no](caf::message& reply) {
        on_reply(jid, attempt_no, reply);
      }));
  }

  void on_reply(uint64_t jid, uint32_t attempt_no, caf::message& reply) {
    auto i = jobs.find(jid);
    if (i == jobs.end() || i->second.attempt != attempt_no
        || i->second.retry_at)
      return; // a late answer to an attempt already given up on
    if (reply.match_elements<caf::error>()) {
      auto& err = reply.get_as<caf::error>(0);
      // A peer without the type may be one that just started and has not
      // registered it yet (or runs an older build during a rolling update).
      auto remote_unknown = err == errc::unknown_entity_type
                            && i->second.target != cfg.address;
      if (retryable(err) || remote_unknown) {
        wait(i->second, err);
        return;
      }
    }
    finish(jid, std::move(reply));
  }

  // Schedules another attempt after a back-off of the retry interval times
  // 1, 2, 4, 4, ... (bounded so a failover is noticed within one interval).
  void wait(job& j, caf::error err) {
    j.last_error = std::move(err);
    auto factor = 1 << std::min<uint32_t>(j.attempt > 0 ? j.attempt - 1 : 0, 2);
    j.retry_at = self->clock().now() + cfg.retry_interval * factor;
    j.target.clear();
    arm_sweep();
  }

  void finish(uint64_t jid, caf::message reply) {
    auto i = jobs.find(jid);
    if (i == jobs.end())
      return;
    i->second.promise.deliver(std::move(reply));
    jobs.erase(i);
  }

  void give_up(uint64_t jid) {
    auto i = jobs.find(jid);
    if (i == jobs.end())
      return;
    auto& j = i->second;
    caf::error err;
    if (j.retry_at && j.last_error
        && j.last_error.category() == errc_category) {
      err = caf::make_error(static_cast<errc>(j.last_error.code()), where(j),
                            "gave up routing after " + std::to_string(j.attempt)
                              + " attempts: "
                              + self->system().render(j.last_error));
    } else if (j.retry_at && j.last_error) {
      err = caf::make_error(errc::runner_unavailable, where(j),
                            "gave up routing after " + std::to_string(j.attempt)
                              + " attempts: "
                              + self->system().render(j.last_error));
    } else {
      err = caf::make_error(errc::timeout, where(j));
    }
    finish(jid, caf::make_message(std::move(err)));
  }

  // One timer while jobs exist: retries whose back-off ended, and deadlines
  // (a peer that froze never answers, so the router must give up itself).
  void arm_sweep() {
    if (sweep_pending || jobs.empty())
      return;
    sweep_pending = true;
    self->delayed_send(self, cfg.retry_interval, retry_atom::value);
  }

  void sweep() {
    sweep_pending = false;
    auto now = self->clock().now();
    std::vector<uint64_t> due;
    std::vector<uint64_t> overdue;
    for (auto& kvp : jobs) {
      if (now >= kvp.second.deadline)
        overdue.push_back(kvp.first);
      else if (kvp.second.retry_at && *kvp.second.retry_at <= now)
        due.push_back(kvp.first);
    }
    for (auto jid : overdue)
      give_up(jid);
    for (auto jid : due)
      attempt(jid);
    arm_sweep();
  }

  void on_assignments(const std::string& group, std::vector<std::string>& xs) {
    if (group != cfg.group || xs == owners)
      return;
    owners = std::move(xs);
    // A new map may name a reachable owner: no reason to sit out a back-off.
    std::vector<uint64_t> waiting;
    for (auto& kvp : jobs)
      if (kvp.second.retry_at)
        waiting.push_back(kvp.first);
    for (auto jid : waiting)
      attempt(jid);
  }

  void on_peer_down(const caf::actor_addr& who) {
    auto i = peer_by_handle.find(who);
    if (i == peer_by_handle.end())
      return;
    auto address = std::move(i->second);
    peer_by_handle.erase(i);
    peers.erase(address);
    for (auto& kvp : jobs)
      if (!kvp.second.retry_at && kvp.second.target == address)
        wait(kvp.second,
             caf::make_error(errc::runner_unavailable, address,
                             std::string{"connection lost"}));
    if (auto st = cfg.sharding.lock(); st && st->shard_manager)
      caf::anon_send(st->shard_manager, recheck_atom::value);
  }

  // A peer's batch of messages for shards it believes this runner serves;
  // the replies go back in batches too.
  void serve_batch(std::vector<envelope>& batch) {
    auto sender = self->current_sender();
    if (!sender)
      return;
    auto st = cfg.sharding.lock();
    auto refuse = [&](envelope& x, caf::error err) {
      reply_box[sender].push_back(
        reply_envelope{x.job, x.attempt, caf::make_message(std::move(err))});
      schedule_flush();
    };
    for (auto& x : batch) {
      auto where = x.entity_type + "/" + x.entity_id;
      if (!st || st->shutting_down.load()) {
        refuse(x, caf::make_error(errc::shutting_down, where));
        continue;
      }
      auto mgr = st->manager(x.entity_type);
      if (!mgr) {
        refuse(x, caf::make_error(errc::unknown_entity_type,
                                  "entity type '" + x.entity_type
                                    + "' is not registered on runner "
                                    + cfg.address));
        continue;
      }
      auto mid = self->new_request_id(caf::message_priority::normal);
      mgr->enqueue(caf::make_mailbox_element(
                     self->ctrl(), mid, {}, deliver_here_atom::value,
                     std::move(x.entity_type), std::move(x.entity_id),
                     std::move(x.payload), x.timeout, x.meta),
                   self->context());
      self->add_multiplexed_response_handler(
        mid.response_id(),
        any_response([this, sender, job = x.job,
                      attempt = x.attempt](caf::message& reply) {
          reply_box[sender].push_back(
            reply_envelope{job, attempt, std::move(reply)});
          schedule_flush();
        }));
    }
  }

  void stop() {
    stopped = true;
    flush(); // replies to peers collected in this turn

    std::vector<uint64_t> all;
    for (auto& kvp : jobs)
      all.push_back(kvp.first);
    for (auto jid : all) {
      auto& j = jobs[jid];
      finish(jid, caf::make_message(
                    caf::make_error(errc::shutting_down, where(j))));
    }
    self->quit();
  }
};

caf::behavior router_impl(caf::stateful_actor<router_state>* self,
                          router_config cfg) {
  auto& st = self->state;
  st.self = self;
  st.cfg = std::move(cfg);
  self->set_down_handler(
    [self](caf::down_msg& dm) { self->state.on_peer_down(dm.source); });
  return {
    [=](deliver_atom, std::string& type, std::string& id,
        caf::message& payload) {
      self->state.accept(std::move(type), std::move(id), std::move(payload),
                         self->state.cfg.send_timeout);
    },
    [=](deliver_atom, std::string& type, std::string& id, caf::message& payload,
        caf::timespan timeout) {
      self->state.accept(std::move(type), std::move(id), std::move(payload),
                         timeout);
    },
    [=](deliver_atom, std::string& type, std::string& id, caf::message& payload,
        caf::timespan timeout, delivery& meta) {
      self->state.accept(std::move(type), std::move(id), std::move(payload),
                         timeout, meta);
    },
    [=](deliver_batch_atom, std::vector<envelope>& batch) {
      self->state.serve_batch(batch);
    },
    [=](reply_batch_atom, std::vector<reply_envelope>& replies) {
      for (auto& x : replies)
        self->state.on_reply(x.job, x.attempt, x.reply);
    },
    [=](flush_atom) { self->state.flush(); },
    [=](assignments_atom, const std::string& group,
        std::vector<std::string>& owners) {
      self->state.on_assignments(group, owners);
    },
    [=](retry_atom) { self->state.sweep(); },
    [=](address_atom, std::string& address) {
      self->state.cfg.address = std::move(address);
    },
    [=](shutdown_atom) { self->state.stop(); },
  };
}

} // namespace

caf::actor spawn_router(caf::actor_system& sys, router_config cfg) {
  return sys.spawn(router_impl, std::move(cfg));
}

} // namespace caf_cluster::internal
