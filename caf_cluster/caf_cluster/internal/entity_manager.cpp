#include "caf_cluster/internal/entity_manager.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/response_promise.hpp"
#include "caf/scheduled_actor.hpp"
#include "caf/sec.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"

#include "caf_cluster/atoms.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/any_response.hpp"
#include "caf_cluster/shard_id.hpp"

namespace caf_cluster::internal {

namespace {

using time_point = caf::actor_clock::time_point;

// Exit reason of entities the manager passivates or stops on shutdown.
const caf::error& stopped_by_manager() {
  static const caf::error reason = caf::make_error(errc::shutting_down);
  return reason;
}

struct pending_message {
  caf::message payload;
  caf::response_promise promise;
  time_point deadline = time_point::max(); // the sender's timeout
  bool expired = false;                    // answered with errc::timeout
  bool reroute = false; // from a local client: may go to the shard's owner
};

// A `stop_shard` request waiting for busy entities of the shard.
struct shard_stop {
  int32_t index = 0;
  uint64_t seq = 0; // tells this stop's grace timer from later ones
  caf::response_promise promise;
};

struct entity_slot;

struct list_links {
  entity_slot* prev = nullptr;
  entity_slot* next = nullptr;
  bool linked = false;
};

// One entity known to the manager. Slots live in an unordered_map, whose nodes
// never move, so the idle list can link them by pointer without allocating.
struct entity_slot {
  const std::string* id = nullptr; // the map key
  shard_id shard;
  caf::actor actor; // null while not activated
  std::vector<pending_message> queue; // [queue_head] runs while busy
  size_t queue_head = 0;
  bool busy = false;
  bool bounced = false; // the current message bounced off a quit actor once
  caf::message_id current_request; // of the message the entity is processing
  time_point idle_since;
  list_links idle_links; // in the idle list while not busy
  list_links busy_links; // in the busy list while busy

  size_t queued() const noexcept {
    return queue.size() - queue_head;
  }
};

// An intrusive list of slots through one of their `list_links` members: no
// allocation per entity, O(1) insert and erase.
class slot_list {
public:
  explicit slot_list(list_links entity_slot::*links) : links_(links) {
    // nop
  }

  void push_back(entity_slot* x) {
    auto& l = x->*links_;
    l.prev = tail_;
    l.next = nullptr;
    if (tail_)
      (tail_->*links_).next = x;
    else
      head_ = x;
    tail_ = x;
    l.linked = true;
  }

  void erase(entity_slot* x) {
    auto& l = x->*links_;
    if (!l.linked)
      return;
    (l.prev ? (l.prev->*links_).next : head_) = l.next;
    (l.next ? (l.next->*links_).prev : tail_) = l.prev;
    l.prev = l.next = nullptr;
    l.linked = false;
  }

  entity_slot* front() const noexcept {
    return head_;
  }

  entity_slot* next(entity_slot* x) const noexcept {
    return (x->*links_).next;
  }

private:
  list_links entity_slot::*links_;
  entity_slot* head_ = nullptr;
  entity_slot* tail_ = nullptr;
};

struct manager_state {
  static inline const char* name = "caf_cluster.entity_manager";

  caf::event_based_actor* self = nullptr;
  entity_manager_config cfg;
  std::unordered_map<std::string, entity_slot> entities;
  // Entities without work, least recently active first. Every entity of a
  // type has the same max_idle, so this is also the order of their deadlines
  // and one timer for the front suffices.
  slot_list idle{&entity_slot::idle_links};
  // Entities with messages queued or running: where sender deadlines live.
  slot_list busy_slots{&entity_slot::busy_links};
  time_point next_deadline_check = time_point::max();
  bool timer_pending = false;
  bool stopping = false;
  bool finished = false;
  std::vector<std::string> to_stop; // idle entities left to stop on shutdown
  std::vector<shard_stop> shard_stops;
  // Entities killed at the end of a shard stop's grace, until they are gone.
  std::unordered_map<caf::actor_addr, int32_t> dying;
  uint64_t next_stop_seq = 1;

  // A manager that dies for any reason (killed, crashed) takes its entities
  // along: nothing else would ever stop them.
  ~manager_state() {
    for (auto& kvp : entities)
      if (kvp.second.actor)
        caf::anon_send_exit(kvp.second.actor, caf::exit_reason::kill);
  }

  // Entities stopped per handler invocation when many stop at once.
  static constexpr size_t stop_batch = 256;

  caf::error refusal(errc code, const std::string& id) const {
    return caf::make_error(code, cfg.entity_type + "/" + id);
  }

  bool serving(int32_t shard_index) const noexcept {
    return cfg.shards->active(shard_index, *cfg.clock);
  }

  // Hands a message for a shard this runner does not serve (any more) to the
  // router, which finds the owner and retries; messages that came through
  // the router already are refused so that their sender retries.
  void bounce(std::string id, caf::message payload, caf::response_promise& rp,
              bool reroute, std::optional<caf::timespan> timeout) {
    if (reroute && cfg.router) {
      rp.delegate(cfg.router, deliver_atom::value, cfg.entity_type,
                  std::move(id), std::move(payload),
                  timeout.value_or(cfg.send_timeout));
      return;
    }
    rp.deliver(refusal(errc::entity_not_assigned_to_runner, id));
  }

  void deliver(std::string& id, caf::message& payload,
               std::optional<caf::timespan> timeout, bool reroute) {
    auto promise = self->make_response_promise();
    if (stopping) {
      promise.deliver(refusal(errc::shutting_down, id));
      return;
    }
    auto i = entities.find(id);
    if (i == entities.end()) {
      auto shard = make_shard_id(id, cfg.shard_group, cfg.shards_per_group);
      if (!shard) {
        promise.deliver(std::move(shard.error()));
        return;
      }
      if (!serving(shard->index)) {
        bounce(std::move(id), std::move(payload), promise, reroute, timeout);
        return;
      }
      i = entities.emplace(std::move(id), entity_slot{}).first;
      i->second.id = &i->first;
      i->second.shard = std::move(*shard);
    } else if (!serving(i->second.shard.index)) {
      bounce(id, std::move(payload), promise, reroute, timeout);
      return;
    }
    auto& slot = i->second;
    // The queue holds the running message too (until its reply), so its
    // length is everything in this entity's mailbox.
    if (static_cast<int64_t>(slot.queued()) >= cfg.mailbox_capacity) {
      cfg.counters->mailbox_full.fetch_add(1, std::memory_order_relaxed);
      promise.deliver(refusal(errc::mailbox_full, *slot.id));
      return;
    }
    pending_message msg{std::move(payload), std::move(promise)};
    msg.reroute = reroute;
    auto now = self->clock().now();
    // A timeout too large to add to the clock (timespan::max) means none.
    if (timeout && *timeout < time_point::max() - now)
      msg.deadline = now + *timeout;
    slot.queue.push_back(std::move(msg));
    if (slot.queue.back().deadline != time_point::max())
      watch_deadline(slot.queue.back().deadline);
    if (!slot.busy)
      dispatch_next(slot);
  }

  // Sends every waiting (not running) message of `slot` on to the router or
  // back to its sender.
  void evacuate(entity_slot& slot) {
    auto first = slot.busy ? slot.queue_head + 1 : slot.queue_head;
    auto now = self->clock().now();
    for (auto i = first; i < slot.queue.size(); ++i) {
      auto& msg = slot.queue[i];
      if (msg.expired)
        continue;
      std::optional<caf::timespan> left;
      if (msg.deadline != time_point::max())
        left = std::max(caf::timespan{0}, msg.deadline - now);
      bounce(*slot.id, std::move(msg.payload), msg.promise, msg.reroute, left);
    }
    slot.queue.resize(std::min(slot.queue.size(), first));
  }

  // Stops the entities of shard `index`: idle ones at once, busy ones after
  // their running message; waiting messages go to the shard's next owner.
  void stop_shard(const std::string& group, int32_t index, caf::timespan grace) {
    auto promise = self->make_response_promise();
    if (group != cfg.shard_group) {
      promise.deliver(caf::unit);
      return;
    }
    std::vector<entity_slot*> in_shard;
    for (auto& kvp : entities)
      if (kvp.second.shard.index == index)
        in_shard.push_back(&kvp.second);
    for (auto* slot : in_shard) {
      if (slot->busy) {
        evacuate(*slot);
      } else {
        remove(*slot);
      }
    }
    if (!shard_has_entities(index)) {
      promise.deliver(caf::unit);
      return;
    }
    auto seq = next_stop_seq++;
    shard_stops.push_back(shard_stop{index, seq, std::move(promise)});
    self->delayed_send(self, grace, deadline_atom::value, index, seq);
  }

  bool shard_has_entities(int32_t index) const {
    for (auto& kvp : entities)
      if (kvp.second.shard.index == index)
        return true;
    for (auto& kvp : dying)
      if (kvp.second == index)
        return true;
    return false;
  }

  // Answers the stop requests of `index` once its last entity is gone.
  void check_shard_stops(int32_t index) {
    if (shard_stops.empty() || shard_has_entities(index))
      return;
    auto last = std::remove_if(shard_stops.begin(), shard_stops.end(),
                               [&](shard_stop& x) {
                                 if (x.index != index)
                                   return false;
                                 x.promise.deliver(caf::unit);
                                 return true;
                               });
    shard_stops.erase(last, shard_stops.end());
  }

  // The grace period of a shard stop ran out: kill what still runs; the
  // running messages go back to their senders to be retried elsewhere.
  void force_stop_shard(int32_t index, uint64_t seq) {
    auto pending = std::any_of(shard_stops.begin(), shard_stops.end(),
                               [&](const shard_stop& x) { return x.seq == seq; });
    if (!pending)
      return; // that stop completed on time
    std::vector<entity_slot*> in_shard;
    for (auto& kvp : entities)
      if (kvp.second.shard.index == index)
        in_shard.push_back(&kvp.second);
    for (auto* slot : in_shard) {
      evacuate(*slot);
      if (slot->busy && !slot->queue[slot->queue_head].expired)
        slot->queue[slot->queue_head].promise.deliver(caf::make_error(
          errc::entity_not_assigned_to_runner, cfg.entity_type + "/" + *slot->id,
          std::string{"stopped while handing its shard over; the message may "
                      "have run"}));
      if (slot->actor) {
        // A kill takes effect only once the running handler returns: the
        // shard counts as stopped (and its lease is released) after the
        // entity's death notice, never while it may still run.
        dying.emplace(slot->actor.address(), index);
        self->send_exit(slot->actor, caf::exit_reason::kill);
        slot->actor = nullptr;
        cfg.counters->resident.fetch_sub(1, std::memory_order_relaxed);
      }
      remove(*slot);
    }
    check_shard_stops(index);
  }

  // Sender timeouts are enforced here rather than by CAF's request timeouts:
  // in CAF 0.17 each of those wakes the clock thread and is never cancelled,
  // which cost more than the whole cluster layer. One check is pending per
  // earliest deadline; with equal timeouts that is one timer at a time.
  void watch_deadline(time_point deadline) {
    if (deadline >= next_deadline_check)
      return;
    next_deadline_check = deadline;
    self->delayed_send(self, deadline - self->clock().now(),
                       expire_atom::value);
  }

  void expire_overdue() {
    auto now = self->clock().now();
    auto next = time_point::max();
    for (auto* slot = busy_slots.front(); slot; slot = busy_slots.next(slot)) {
      for (auto i = slot->queue_head; i < slot->queue.size(); ++i) {
        auto& msg = slot->queue[i];
        if (msg.expired)
          continue;
        if (msg.deadline <= now) {
          msg.expired = true;
          msg.promise.deliver(caf::make_error(
            errc::timeout, cfg.entity_type + "/" + *slot->id));
        } else if (msg.deadline < next) {
          next = msg.deadline;
        }
      }
    }
    next_deadline_check = time_point::max();
    if (next != time_point::max())
      watch_deadline(next);
  }

  void activate(entity_slot& slot) {
    entity_address addr{cfg.entity_type, *slot.id, slot.shard};
    slot.actor = cfg.factory(self, entity_context{std::move(addr), cfg.sharding});
    // Tells us when the entity dies for any reason, including one that drops a
    // response promise, so no message waits forever on a dead entity.
    slot.actor->attach_functor(
      [manager = self->address(), id = *slot.id,
       who = slot.actor.address()](const caf::error& reason) {
        // The manager stopped this entity itself and forgot it already; a
        // notice per passivated entity would double the messages of a mass
        // passivation or shutdown.
        if (reason == stopped_by_manager())
          return;
        if (auto hdl = caf::actor_cast<caf::actor>(manager))
          caf::anon_send(hdl, entity_down_atom::value, id, who, reason);
      });
    cfg.counters->resident.fetch_add(1, std::memory_order_relaxed);
    cfg.counters->activations.fetch_add(1, std::memory_order_relaxed);
  }

  void drop_actor(entity_slot& slot) {
    if (!slot.actor)
      return;
    self->send_exit(slot.actor, stopped_by_manager());
    slot.actor = nullptr;
    cfg.counters->resident.fetch_sub(1, std::memory_order_relaxed);
  }

  // Sends the oldest queued message to the entity, activating it if needed.
  void dispatch_next(entity_slot& slot) {
    // An entity that never runs dry would otherwise keep every answered
    // message (and its payload) until it does.
    if (slot.queue_head >= 64 && slot.queue_head * 2 >= slot.queue.size()) {
      slot.queue.erase(slot.queue.begin(),
                       slot.queue.begin()
                         + static_cast<std::ptrdiff_t>(slot.queue_head));
      slot.queue_head = 0;
    }
    // Messages whose sender gave up while they waited are not processed.
    while (slot.queue_head < slot.queue.size()
           && slot.queue[slot.queue_head].expired)
      ++slot.queue_head;
    if (slot.queue_head == slot.queue.size()) {
      finish_idle(slot);
      return;
    }
    if (!serving(slot.shard.index)) {
      // The shard moved or its lease lapsed while these messages waited.
      slot.busy = false;
      evacuate(slot);
      auto index = slot.shard.index;
      remove(slot);
      check_shard_stops(index);
      return;
    }
    idle.erase(&slot);
    if (!slot.busy)
      busy_slots.push_back(&slot);
    if (!slot.actor)
      activate(slot);
    slot.busy = true;
    auto mid = self->new_request_id(caf::message_priority::normal);
    slot.current_request = mid;
    slot.actor->enqueue(caf::make_mailbox_element(
                          self->ctrl(), mid, {},
                          slot.queue[slot.queue_head].payload),
                        self->context());
    // Captures the id, not the slot: the slot may be gone when a late reply
    // arrives (its entity died and the manager moved on).
    self->add_multiplexed_response_handler(
      mid.response_id(),
      any_response([this, id = *slot.id, mid](caf::message& reply) {
        auto i = entities.find(id);
        if (i != entities.end() && i->second.busy
            && i->second.current_request == mid)
          on_reply(i->second, reply);
      }));
  }

  void on_entity_down(const std::string& id, const caf::actor_addr& who,
                      caf::error& reason) {
    if (auto d = dying.find(who); d != dying.end()) {
      auto index = d->second;
      dying.erase(d);
      check_shard_stops(index);
      return;
    }
    auto i = entities.find(id);
    if (i == entities.end() || !i->second.actor
        || i->second.actor.address() != who)
      return; // passivated or replaced already
    auto& slot = i->second;
    slot.actor = nullptr;
    cfg.counters->resident.fetch_sub(1, std::memory_order_relaxed);
    if (!slot.busy) {
      remove(slot);
      return;
    }
    if (!reason || reason == caf::exit_reason::normal
        || reason == caf::exit_reason::user_shutdown)
      reason = caf::make_error(errc::entity_failed, cfg.entity_type + "/" + id,
                               std::string{"entity stopped before replying"});
    auto reply = caf::make_message(std::move(reason));
    on_reply(slot, reply);
  }

  void on_reply(entity_slot& slot, caf::message& reply) {
    if (reply.match_elements<caf::error>()) {
      auto& err = reply.get_as<caf::error>(0);
      if (err == caf::sec::request_receiver_down && !slot.bounced) {
        // The entity quit on its own before this message reached it, so the
        // message was never processed: re-activate and deliver it once more.
        slot.bounced = true;
        slot.actor = nullptr;
        cfg.counters->resident.fetch_sub(1, std::memory_order_relaxed);
        dispatch_next(slot);
        return;
      }
      if (err == errc::entity_failed || err == caf::sec::request_receiver_down)
        drop_actor(slot);
    }
    slot.bounced = false;
    auto& current = slot.queue[slot.queue_head];
    if (!current.expired)
      current.promise.deliver(std::move(reply));
    cfg.counters->processed.fetch_add(1, std::memory_order_relaxed);
    ++slot.queue_head;
    dispatch_next(slot);
  }

  // The entity has nothing left to do: it waits for passivation (or stops
  // at once during a shutdown).
  void finish_idle(entity_slot& slot) {
    slot.queue.clear();
    slot.queue_head = 0;
    if (slot.busy) {
      slot.busy = false;
      busy_slots.erase(&slot);
    }
    if (stopping) {
      remove(slot);
      return;
    }
    if (!serving(slot.shard.index)) {
      // The last message of an entity whose shard is being handed over.
      auto index = slot.shard.index;
      remove(slot);
      check_shard_stops(index);
      return;
    }
    slot.idle_since = self->clock().now();
    if (!cfg.keep_alive) {
      idle.push_back(&slot);
      arm_timer();
    }
  }

  void remove(entity_slot& slot) {
    idle.erase(&slot);
    busy_slots.erase(&slot);
    drop_actor(slot);
    entities.erase(*slot.id);
    if (stopping && entities.empty())
      finish();
  }

  void finish() {
    if (!finished) {
      finished = true;
      self->quit();
    }
  }

  void arm_timer() {
    auto* front = idle.front();
    if (timer_pending || front == nullptr)
      return;
    timer_pending = true;
    auto delay = front->idle_since + cfg.max_idle - self->clock().now();
    self->delayed_send(self, delay, idle_atom::value);
  }

  void on_idle_timer() {
    timer_pending = false;
    auto now = self->clock().now();
    size_t stopped = 0;
    while (auto* front = idle.front()) {
      if (front->idle_since + cfg.max_idle > now)
        break;
      if (++stopped > stop_batch) {
        // Many entities went idle together: continue in a fresh message so
        // the manager keeps serving requests and the entities get to exit.
        timer_pending = true;
        self->send(self, idle_atom::value);
        return;
      }
      cfg.counters->passivations.fetch_add(1, std::memory_order_relaxed);
      remove(*front);
    }
    arm_timer();
  }

  void begin_stop() {
    if (stopping)
      return;
    stopping = true;
    for (auto& kvp : entities)
      if (!kvp.second.busy)
        to_stop.push_back(kvp.first);
    self->delayed_send(self, cfg.termination_timeout, deadline_atom::value);
    stop_some();
  }

  // Stops idle entities in batches: one handler sending 100,000 exits starves
  // the scheduler (measured under work-stealing with more workers than cores).
  void stop_some() {
    for (size_t n = 0; n < stop_batch && !to_stop.empty(); ++n) {
      auto i = entities.find(to_stop.back());
      to_stop.pop_back();
      if (i != entities.end() && !i->second.busy)
        remove(i->second);
    }
    if (entities.empty())
      finish();
    else if (!to_stop.empty())
      self->send(self, stop_more_atom::value);
  }

  // The termination timeout passed: fail what is still waiting and stop.
  void force_stop() {
    for (auto& kvp : entities) {
      auto& slot = kvp.second;
      for (auto i = slot.queue_head; i < slot.queue.size(); ++i)
        if (!slot.queue[i].expired)
          slot.queue[i].promise.deliver(refusal(errc::shutting_down, kvp.first));
      if (slot.actor) {
        self->send_exit(slot.actor, caf::exit_reason::kill);
        cfg.counters->resident.fetch_sub(1, std::memory_order_relaxed);
      }
    }
    entities.clear();
    finish();
  }
};

caf::behavior manager_impl(caf::stateful_actor<manager_state>* self,
                           entity_manager_config cfg) {
  auto& st = self->state;
  st.self = self;
  st.cfg = std::move(cfg);
  return {
    [=](deliver_atom, const std::string&, std::string& id,
        caf::message& payload) { self->state.deliver(id, payload, {}, true); },
    [=](deliver_atom, const std::string&, std::string& id,
        caf::message& payload, caf::timespan timeout) {
      self->state.deliver(id, payload, timeout, true);
    },
    [=](deliver_here_atom, const std::string&, std::string& id,
        caf::message& payload, caf::timespan timeout) {
      self->state.deliver(id, payload, timeout, false);
    },
    [=](stop_shard_atom, const std::string& group, int32_t index,
        caf::timespan grace) { self->state.stop_shard(group, index, grace); },
    [=](deadline_atom, int32_t index, uint64_t seq) {
      self->state.force_stop_shard(index, seq);
    },
    [=](expire_atom) { self->state.expire_overdue(); },
    [=](entity_down_atom, const std::string& id, const caf::actor_addr& who,
        caf::error& reason) { self->state.on_entity_down(id, who, reason); },
    [=](idle_atom) { self->state.on_idle_timer(); },
    [=](shutdown_atom) { self->state.begin_stop(); },
    [=](stop_more_atom) { self->state.stop_some(); },
    [=](deadline_atom) { self->state.force_stop(); },
  };
}

} // namespace

caf::actor spawn_entity_manager(caf::actor_system& sys,
                                entity_manager_config cfg) {
  return sys.spawn(manager_impl, std::move(cfg));
}

void install_entity_exception_handler(caf::scheduled_actor* self,
                                      const entity_address& address) {
  self->set_exception_handler(
    [addr = to_string(address)](std::exception_ptr& ptr) -> caf::error {
      try {
        std::rethrow_exception(ptr);
      } catch (const std::exception& e) {
        return caf::make_error(errc::entity_failed, addr, std::string{e.what()});
      } catch (...) {
        return caf::make_error(errc::entity_failed, addr,
                               std::string{"unknown exception"});
      }
    });
}

} // namespace caf_cluster::internal
