#include "caf_cluster/internal/entity_manager.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <optional>
#include <unordered_map>
#include <unordered_set>
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
#include "caf_cluster/internal/request_rows.hpp"
#include "caf_cluster/internal/delivery.hpp"
#include "caf_cluster/internal/durable_state.hpp"
#include "caf_cluster/internal/sharding_state.hpp"
#include "caf_cluster/internal/storage_writer.hpp"
#include "caf_cluster/message_codec.hpp"
#include "caf_cluster/shard_id.hpp"
#include "caf_cluster/storage/errc.hpp"

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
  delivery meta;        // the send's identity, kept when it moves on
  // Persisted messages only: the stored row's id; `saved` once stored (it
  // may run then); `dropped` when settled without running (a duplicate or a
  // failed save).
  int64_t request_id = 0;
  int64_t claimed_ms = 0; // when this runner took it on (cluster clock)
  int64_t epoch = 0;      // the shard's lease epoch then: fences its writes
  bool persisted = false;
  bool saved = false;
  bool dropped = false;
  bool recovered = false; // from storage, without a sender

  // Whether this message still has to run.
  bool runnable() const noexcept {
    return !dropped && (persisted || !expired);
  }
};

// A sender of a persisted message that waits for another request's reply:
// the original of its duplicate key, or its own scheduled message.
struct joiner {
  std::string id;
  int32_t shard_index = 0;
  pending_message msg;
};

void answer(caf::response_promise& rp, caf::message msg) {
  if (rp.pending())
    rp.deliver(std::move(msg));
}

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
  bool busy = false;    // has messages (in the busy list)
  bool running = false; // [queue_head] is at the entity or being stored
  bool finishing = false; // [queue_head] replied; its reply is being stored
  bool loading = false; // durable state on its way into a new activation
  uint64_t activation = 0; // tells replies of this activation from older ones
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
  uint64_t next_activation = 1;
  // Persisted requests queued or running here: a recovered copy is skipped.
  std::unordered_set<int64_t> inflight;
  // Senders waiting for the reply of a request (by its id).
  std::unordered_map<int64_t, std::vector<joiner>> joiners;
  // Scheduled messages whose rows are being stored.
  std::unordered_map<int64_t, joiner> scheduling;
  // Messages that ran longer than half the claim timeout, until a claim
  // made while they ran can no longer arrive here (by id: expiry in ms).
  std::unordered_map<int64_t, int64_t> recently_done;

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
              bool reroute, std::optional<caf::timespan> timeout,
              const delivery& meta) {
    if (reroute && cfg.router) {
      rp.delegate(cfg.router, deliver_atom::value, cfg.entity_type,
                  std::move(id), std::move(payload),
                  timeout.value_or(cfg.send_timeout), meta);
      return;
    }
    rp.deliver(refusal(errc::entity_not_assigned_to_runner, id));
  }

  void bounce(const std::string& id, pending_message& msg, time_point now) {
    if (msg.recovered)
      return; // no sender: storage keeps it for the shard's next owner
    std::optional<caf::timespan> left;
    if (msg.deadline != time_point::max())
      left = std::max(caf::timespan{0}, msg.deadline - now);
    bounce(id, std::move(msg.payload), msg.promise, msg.reroute, left,
           msg.meta);
  }

  void deliver(std::string& id, caf::message& payload,
               std::optional<caf::timespan> timeout, bool reroute,
               delivery meta = {}) {
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
        bounce(std::move(id), std::move(payload), promise, reroute, timeout,
               meta);
        return;
      }
      i = entities.emplace(std::move(id), entity_slot{}).first;
      i->second.id = &i->first;
      i->second.shard = std::move(*shard);
    } else if (!serving(i->second.shard.index)) {
      bounce(id, std::move(payload), promise, reroute, timeout, meta);
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
    pending_message msg;
    msg.payload = std::move(payload);
    msg.promise = std::move(promise);
    msg.reroute = reroute;
    msg.meta = meta;
    auto now = self->clock().now();
    // A timeout too large to add to the clock (timespan::max) means none.
    if (timeout && *timeout < time_point::max() - now)
      msg.deadline = now + *timeout;
    if (auto* kind = cfg.writer ? find_persisted(cfg.persisted, msg.payload)
                                : nullptr) {
      if (!save_request(slot, msg, *kind)) {
        if (slot.queue.empty() && !slot.busy && !slot.actor)
          remove(slot);
        return;
      }
      if (msg.meta.deliver_at_ms > cfg.clock->now_ms()) {
        // Scheduled: the row waits in storage until due; the sender waits
        // for its reply like a duplicate does.
        auto rid = msg.request_id;
        if (msg.deadline != time_point::max())
          watch_deadline(msg.deadline);
        scheduling.emplace(rid, joiner{*slot.id, slot.shard.index,
                                       std::move(msg)});
        if (slot.queue.empty() && !slot.busy && !slot.actor)
          remove(slot);
        return;
      }
    }
    slot.queue.push_back(std::move(msg));
    if (slot.queue.back().deadline != time_point::max())
      watch_deadline(slot.queue.back().deadline);
    if (!slot.busy)
      dispatch_next(slot);
  }

  // Sends every waiting (not running) message of `slot` on to the router or
  // back to its sender.
  // Persisted ones stay in storage for the shard's next owner; their
  // senders retry there and join them.
  void evacuate(entity_slot& slot) {
    auto first = slot.running ? slot.queue_head + 1 : slot.queue_head;
    auto now = self->clock().now();
    for (auto i = first; i < slot.queue.size(); ++i) {
      auto& msg = slot.queue[i];
      if (msg.request_id != 0)
        inflight.erase(msg.request_id);
      if (msg.expired || msg.dropped)
        continue;
      bounce(*slot.id, msg, now);
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
      evacuate(*slot);
      if (!slot->running)
        remove(*slot);
    }
    bounce_joiners([index](const joiner& x) { return x.shard_index == index; });
    bounce_scheduling([index](const joiner& x) { return x.shard_index == index; });
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
      if (slot->running && !slot->queue[slot->queue_head].expired)
        answer(slot->queue[slot->queue_head].promise, caf::make_message(caf::make_error(
          errc::entity_not_assigned_to_runner, cfg.entity_type + "/" + *slot->id,
          std::string{"stopped while handing its shard over; the message may "
                      "have run"})));
      if (slot->running && slot->queue[slot->queue_head].request_id != 0)
        inflight.erase(slot->queue[slot->queue_head].request_id);
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
          answer(msg.promise, caf::make_message(caf::make_error(
                                errc::timeout, cfg.entity_type + "/" + *slot->id)));
        } else if (msg.deadline < next) {
          next = msg.deadline;
        }
      }
    }
    auto expire_joiner = [&](joiner& x) {
      if (x.msg.expired)
        return;
      if (x.msg.deadline <= now) {
        x.msg.expired = true;
        answer(x.msg.promise, caf::make_message(caf::make_error(
                                errc::timeout, cfg.entity_type + "/" + x.id)));
      } else if (x.msg.deadline < next) {
        next = x.msg.deadline;
      }
    };
    for (auto i = joiners.begin(); i != joiners.end();) {
      auto& xs = i->second;
      for (auto& x : xs)
        expire_joiner(x);
      xs.erase(std::remove_if(xs.begin(), xs.end(),
                              [](const joiner& x) { return x.msg.expired; }),
               xs.end());
      i = xs.empty() ? joiners.erase(i) : std::next(i);
    }
    // Kept until stored (the outcome looks them up), answered already.
    for (auto& kvp : scheduling)
      expire_joiner(kvp.second);
    next_deadline_check = time_point::max();
    if (next != time_point::max())
      watch_deadline(next);
  }

  void activate(entity_slot& slot) {
    entity_address addr{cfg.entity_type, *slot.id, slot.shard};
    slot.actor = cfg.factory(self, entity_context{std::move(addr), cfg.sharding});
    slot.activation = next_activation++;
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
    // Volatile messages whose sender gave up while they waited are not
    // processed; persisted ones are (they are stored and would be anyway).
    while (slot.queue_head < slot.queue.size()
           && !slot.queue[slot.queue_head].runnable())
      ++slot.queue_head;
    if (slot.queue_head == slot.queue.size()) {
      finish_idle(slot);
      return;
    }
    if (!serving(slot.shard.index)) {
      // The shard moved or its lease lapsed while these messages waited.
      slot.running = false;
      evacuate(slot);
      auto index = slot.shard.index;
      remove(slot);
      check_shard_stops(index);
      return;
    }
    idle.erase(&slot);
    if (!slot.busy) {
      busy_slots.push_back(&slot);
      slot.busy = true;
    }
    auto& head = slot.queue[slot.queue_head];
    if (slot.running || slot.loading || (head.persisted && !head.saved))
      return; // resumed when the running message, the state or the row is in
    if (!slot.actor) {
      activate(slot);
      if (cfg.durable) {
        load_state(slot);
        return;
      }
    }
    slot.running = true;
    ask_entity(slot, slot.queue[slot.queue_head].payload,
               [this](entity_slot& s, caf::message& reply) {
                 on_reply(s, reply);
               });
  }

  // Sends `msg` to the entity of `slot` as a request of the manager; `f`
  // gets the reply or error while the slot still waits for it.
  template <class F>
  void ask_entity(entity_slot& slot, caf::message msg, F f) {
    auto mid = self->new_request_id(caf::message_priority::normal);
    slot.current_request = mid;
    slot.actor->enqueue(caf::make_mailbox_element(self->ctrl(), mid, {},
                                                  std::move(msg)),
                        self->context());
    // Captures the id, not the slot: the slot may be gone when a late reply
    // arrives (its entity died and the manager moved on).
    self->add_multiplexed_response_handler(
      mid.response_id(),
      any_response([this, id = *slot.id, mid, f](caf::message& reply) mutable {
        auto i = entities.find(id);
        if (i == entities.end() || i->second.current_request != mid)
          return;
        auto& s = i->second;
        if (s.running || s.loading || s.finishing)
          f(s, reply);
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
    if (slot.finishing)
      return; // the snapshot request fails and handles it
    if (slot.loading) {
      // Died before its first message (its behaviour failed to start, or
      // quit): like a message bounced off a quit entity, try a new
      // activation once, then fail the message.
      slot.loading = false;
      if (!slot.bounced) {
        slot.bounced = true;
        dispatch_next(slot);
      } else {
        slot.running = true;
        auto reply = caf::make_message(caf::make_error(
          errc::entity_failed, cfg.entity_type + "/" + id,
          std::string{"entity stopped before its state was loaded"}));
        on_reply(slot, reply);
      }
      return;
    }
    if (!slot.busy) {
      remove(slot);
      return;
    }
    if (!slot.running)
      return; // the next message activates it again
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
        slot.running = false;
        if (slot.actor) {
          slot.actor = nullptr;
          cfg.counters->resident.fetch_sub(1, std::memory_order_relaxed);
        }
        dispatch_next(slot);
        return;
      }
      if (err == errc::entity_failed || err == caf::sec::request_receiver_down)
        drop_actor(slot);
    }
    slot.bounced = false;
    auto& current = slot.queue[slot.queue_head];
    if (current.persisted) {
      finish_persisted(slot, std::move(reply));
      return;
    }
    if (!current.expired)
      answer(current.promise, std::move(reply));
    complete(slot);
  }

  // The running message is done: on to the next one.
  void complete(entity_slot& slot) {
    cfg.counters->processed.fetch_add(1, std::memory_order_relaxed);
    slot.running = false;
    slot.finishing = false;
    ++slot.queue_head;
    dispatch_next(slot);
  }

  // The entity has nothing left to do: it waits for passivation (or stops
  // at once during a shutdown).
  void finish_idle(entity_slot& slot) {
    slot.queue.clear();
    slot.queue_head = 0;
    slot.running = false;
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
    for (auto i = slot.queue_head; i < slot.queue.size(); ++i)
      if (slot.queue[i].request_id != 0)
        inflight.erase(slot.queue[i].request_id);
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
    // Their senders retry at the shard's next owner.
    bounce_joiners([](const joiner&) { return true; });
    bounce_scheduling([](const joiner&) { return true; });
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
        if (!slot.queue[i].expired && !slot.queue[i].dropped)
          answer(slot.queue[i].promise,
                 caf::make_message(refusal(errc::shutting_down, kvp.first)));
      if (slot.actor) {
        self->send_exit(slot.actor, caf::exit_reason::kill);
        cfg.counters->resident.fetch_sub(1, std::memory_order_relaxed);
      }
    }
    entities.clear();
    inflight.clear();
    finish();
  }

  // -- persisted messages (DESIGN.md §5) ------------------------------------

  // Stores `msg` before it may run; false when it was answered already.
  bool save_request(entity_slot& slot, pending_message& msg,
                    const persisted_message& kind) {
    auto st = cfg.sharding.lock();
    if (!st) {
      answer(msg.promise,
             caf::make_message(refusal(errc::shutting_down, *slot.id)));
      return false;
    }
    if (msg.meta.request_id == 0) {
      // Sent from this node straight to its own manager.
      msg.meta.request_id = st->snowflakes.next().value();
      msg.meta.origin = st->origin;
    }
    auto key = kind.key(msg.payload);
    if (key.empty())
      key = msg.meta.default_key();
    auto made = make_request_row(*st, cfg.entity_type, *slot.id, slot.shard,
                                 msg.payload, std::move(key),
                                 msg.meta.deliver_at_ms);
    if (!made) {
      answer(msg.promise, caf::make_message(std::move(made.error())));
      return false;
    }
    auto row = std::move(*made);
    // Delivered from here at once: claimed by this runner, so that the
    // periodic claims leave it alone while it waits and runs.
    auto now_ms = cfg.clock->now_ms();
    if (row.deliver_at_ms <= now_ms)
      row.claimed_at_ms = now_ms;
    msg.claimed_ms = now_ms;
    msg.epoch = cfg.shards->epoch(slot.shard.index);
    msg.persisted = true;
    msg.request_id = row.request_id;
    auto rid = row.request_id;
    self
      ->request(cfg.writer, caf::infinite, save_requests_atom::value,
                std::vector<storage::request_row>{std::move(row)})
      .then(
        [this, id = *slot.id, rid](std::vector<storage::save_outcome>& xs) {
          if (xs.size() == 1)
            on_saved(id, rid, xs.front());
          else
            on_save_failed(id, rid, caf::make_error(errc::persistence_error,
                                                    "no outcome for a row"));
        },
        [this, id = *slot.id, rid](caf::error& err) {
          on_save_failed(id, rid, std::move(err));
        });
    return true;
  }

  // Finds the queued message with row id `rid`, or null.
  std::pair<entity_slot*, pending_message*> find_queued(const std::string& id,
                                                        int64_t rid) {
    auto i = entities.find(id);
    if (i == entities.end())
      return {nullptr, nullptr};
    auto& slot = i->second;
    for (auto k = slot.queue_head; k < slot.queue.size(); ++k)
      if (slot.queue[k].request_id == rid && !slot.queue[k].dropped)
        return {&slot, &slot.queue[k]};
    return {&slot, nullptr};
  }

  // Takes a message being stored out of the queue or the scheduled ones.
  std::optional<joiner> take_saving(const std::string& id, int64_t rid) {
    if (auto i = scheduling.find(rid); i != scheduling.end()) {
      auto result = std::move(i->second);
      scheduling.erase(i);
      return result;
    }
    auto [slot, msg] = find_queued(id, rid);
    if (!msg)
      return std::nullopt; // moved on meanwhile (evacuated or stopped)
    joiner result{id, slot->shard.index, std::move(*msg)};
    msg->dropped = true;
    if (slot->busy && !slot->running)
      dispatch_next(*slot);
    return result;
  }

  void on_saved(const std::string& id, int64_t rid,
                storage::save_outcome& outcome) {
    if (!outcome.duplicate) {
      if (auto i = scheduling.find(rid); i != scheduling.end()) {
        // Due later: the shard's owner delivers it from storage then.
        joiners[rid].push_back(std::move(i->second));
        scheduling.erase(i);
        return;
      }
      auto [slot, msg] = find_queued(id, rid);
      if (!msg)
        return;
      msg->saved = true;
      inflight.insert(rid);
      if (slot->busy && !slot->running)
        dispatch_next(*slot);
      return;
    }
    auto waiting = take_saving(id, rid);
    if (!waiting)
      return;
    if (outcome.reply) {
      answer(waiting->msg.promise, decode_reply(*outcome.reply));
      return;
    }
    // The original has no reply yet: it is queued here, or stored and
    // delivered by a claim soon; this sender gets its reply.
    if (waiting->msg.deadline != time_point::max())
      watch_deadline(waiting->msg.deadline);
    joiners[outcome.request_id].push_back(std::move(*waiting));
  }

  void on_save_failed(const std::string& id, int64_t rid, caf::error err) {
    if (auto waiting = take_saving(id, rid))
      answer(waiting->msg.promise, caf::make_message(std::move(err)));
  }

  caf::message decode_reply(const storage::reply_row& row) {
    auto msg = decode_message(self->system(), row.payload);
    if (!msg)
      return caf::make_message(std::move(msg.error()));
    return std::move(*msg);
  }

  void answer_joiners(int64_t rid, const caf::message& reply) {
    auto i = joiners.find(rid);
    if (i == joiners.end())
      return;
    for (auto& x : i->second)
      if (!x.msg.expired)
        answer(x.msg.promise, reply);
    joiners.erase(i);
  }

  // Sends the waiting senders that `pred` selects on to the shard's owner.
  template <class Pred>
  void bounce_joiners(Pred pred, std::optional<int64_t> only = std::nullopt) {
    auto now = self->clock().now();
    for (auto i = joiners.begin(); i != joiners.end();) {
      if (only && i->first != *only) {
        ++i;
        continue;
      }
      auto& xs = i->second;
      auto last = std::partition(xs.begin(), xs.end(),
                                 [&](const joiner& x) { return !pred(x); });
      for (auto k = last; k != xs.end(); ++k)
        if (!k->msg.expired)
          bounce(k->id, k->msg, now);
      xs.erase(last, xs.end());
      i = xs.empty() ? joiners.erase(i) : std::next(i);
    }
  }

  // Scheduled sends still being stored go on like the waiting ones; their
  // save outcomes find nothing here then.
  template <class Pred>
  void bounce_scheduling(Pred pred) {
    auto now = self->clock().now();
    for (auto i = scheduling.begin(); i != scheduling.end();) {
      if (!pred(i->second)) {
        ++i;
        continue;
      }
      if (!i->second.msg.expired)
        bounce(i->second.id, i->second.msg, now);
      i = scheduling.erase(i);
    }
  }

  // The running persisted message replied: store the reply (and the state)
  // under the shard's lease, then answer.
  void finish_persisted(entity_slot& slot, caf::message reply) {
    slot.finishing = true;
    if (!cfg.durable || !slot.actor) {
      // Without an entity there is no state to store: a failed entity's
      // changes died with it.
      store_reply(slot, std::move(reply), std::nullopt);
      return;
    }
    ask_entity(slot, caf::make_message(snapshot_atom::value),
               [this, reply](entity_slot& s, caf::message& snap) mutable {
                 if (snap.match_elements<std::string>()) {
                   store_reply(s, std::move(reply),
                               std::move(snap.get_mutable_as<std::string>(0)));
                   return;
                 }
                 // The state is gone (the entity quit after replying): the
                 // message runs again from the stored state.
                 unstored(s, caf::make_error(
                               errc::entity_failed,
                               cfg.entity_type + "/" + *s.id,
                               std::string{"the entity stopped before its "
                                           "state was stored; the message "
                                           "will run again"}));
               });
  }

  void store_reply(entity_slot& slot, caf::message reply,
                   std::optional<std::string> state) {
    auto& head = slot.queue[slot.queue_head];
    storage::reply_write w;
    w.reply.request_id = head.request_id;
    w.reply.ok = !reply.match_elements<caf::error>();
    auto bytes = encode_message(self->system(), reply);
    if (!bytes) {
      // A reply type that cannot be stored: store why instead.
      w.reply.ok = false;
      reply = caf::make_message(std::move(bytes.error()));
      bytes = encode_message(self->system(), reply);
      if (!bytes) {
        unstored(slot, std::move(bytes.error()));
        return;
      }
    }
    w.reply.payload = std::move(*bytes);
    // The epoch under which this runner took the message on, not today's:
    // a runner that lost the shard and acquired it again meanwhile must not
    // store the outcome of a run the new acquisition repeats.
    w.by.shard = to_string(slot.shard);
    w.by.epoch = head.epoch;
    if (state)
      w.state = storage::state_row{cfg.entity_type, *slot.id, std::move(*state)};
    auto mid = self->new_request_id(caf::message_priority::normal);
    slot.current_request = mid;
    auto done = [this, id = *slot.id, mid, reply](caf::error err) {
      auto i = entities.find(id);
      if (i == entities.end() || i->second.current_request != mid)
        return;
      on_reply_stored(i->second, reply, std::move(err));
    };
    self
      ->request(cfg.writer, caf::infinite, save_replies_atom::value,
                std::vector<storage::reply_write>{std::move(w)})
      .then(
        [done](std::vector<caf::error>& xs) mutable {
          done(xs.size() == 1 ? std::move(xs.front())
                              : caf::make_error(errc::persistence_error,
                                                "no result for a reply"));
        },
        [done](caf::error& err) mutable { done(std::move(err)); });
  }

  void on_reply_stored(entity_slot& slot, const caf::message& reply,
                       caf::error err) {
    if (err == storage::errc::fenced) {
      // Another runner owns the shard now and runs the message from storage;
      // the senders get its reply there. Nothing else of the shard may run
      // here, before the shard manager notices the lost lease.
      cfg.shards->set(slot.shard.index, 0);
      unstored(slot, caf::none);
      return;
    }
    if (err) {
      unstored(slot, caf::make_error(errc::persistence_error,
                                     self->system().render(err)));
      return;
    }
    auto& head = slot.queue[slot.queue_head];
    inflight.erase(head.request_id);
    remember_if_long(head);
    if (!head.expired)
      answer(head.promise, reply);
    answer_joiners(head.request_id, reply);
    complete(slot);
  }

  // The running message's outcome could not be stored: its effects in the
  // entity are discarded with the entity (storage still has the message as
  // unprocessed, so it runs again from the stored state), and its senders
  // learn `err`, or without one go on to the shard's owner.
  void unstored(entity_slot& slot, caf::error err) {
    drop_actor(slot);
    auto& head = slot.queue[slot.queue_head];
    auto rid = head.request_id;
    inflight.erase(rid);
    if (!err) {
      auto now = self->clock().now();
      if (!head.expired)
        bounce(*slot.id, head, now);
      bounce_joiners([&](const joiner&) { return true; }, rid);
    } else {
      auto reply = caf::make_message(err);
      if (!head.expired)
        answer(head.promise, reply);
      answer_joiners(rid, reply);
    }
    slot.running = false;
    slot.finishing = false;
    ++slot.queue_head;
    dispatch_next(slot);
  }

  // A new activation of a durable entity gets its stored state before its
  // first message.
  void load_state(entity_slot& slot) {
    slot.loading = true;
    auto act = slot.activation;
    auto id = *slot.id;
    self
      ->request(cfg.writer, caf::infinite, load_state_atom::value,
                cfg.entity_type, id)
      .then(
        [this, id, act](bool found, std::string& bytes) {
          auto i = entities.find(id);
          if (i == entities.end() || i->second.activation != act
              || !i->second.loading || !i->second.actor)
            return;
          auto& slot = i->second;
          if (!found) {
            loaded(slot);
            return;
          }
          ask_entity(slot, caf::make_message(restore_atom::value,
                                             std::move(bytes)),
                     [this, act](entity_slot& s, caf::message& x) {
                       if (s.activation != act)
                         return;
                       if (x.match_elements<caf::error>())
                         state_failed(s, x.get_as<caf::error>(0));
                       else
                         loaded(s);
                     });
        },
        [this, id, act](caf::error& err) {
          auto i = entities.find(id);
          if (i != entities.end() && i->second.activation == act
              && i->second.loading)
            state_failed(i->second, err);
        });
  }

  void loaded(entity_slot& slot) {
    slot.loading = false;
    dispatch_next(slot);
  }

  // The stored state cannot be loaded (storage failed, or it no longer
  // decodes): the entity must not run from an empty state, so its waiting
  // senders get the error; persisted messages stay stored.
  void state_failed(entity_slot& slot, const caf::error& err) {
    slot.loading = false;
    drop_actor(slot);
    auto reply = caf::make_message(
      err == errc::malformed_message || err == errc::persistence_error
        ? err
        : caf::make_error(errc::persistence_error, self->system().render(err)));
    for (auto i = slot.queue_head; i < slot.queue.size(); ++i) {
      auto& msg = slot.queue[i];
      if (msg.request_id != 0) {
        inflight.erase(msg.request_id);
        answer_joiners(msg.request_id, reply);
      }
      if (!msg.expired && !msg.dropped)
        answer(msg.promise, reply);
    }
    slot.queue.clear();
    slot.queue_head = 0;
    auto index = slot.shard.index;
    remove(slot);
    check_shard_stops(index);
  }

  // A periodic claim may return a message again once it was claimed
  // `claim_timeout` ago; if that message finishes while the claim's rows
  // travel here, they must not run it again.
  void remember_if_long(const pending_message& msg) {
    auto timeout = to_ms(cfg.claim_timeout);
    auto now = cfg.clock->now_ms();
    if (now - msg.claimed_ms >= timeout / 2) {
      prune_recently_done(now);
      recently_done.emplace(msg.request_id, now + timeout);
    }
  }

  void prune_recently_done(int64_t now_ms) {
    for (auto i = recently_done.begin(); i != recently_done.end();)
      i = i->second <= now_ms ? recently_done.erase(i) : std::next(i);
  }

  // Stored messages claimed for this runner's shards, oldest first.
  void recover(std::vector<storage::request_row>& rows) {
    auto now_ms = cfg.clock->now_ms();
    prune_recently_done(now_ms);
    std::vector<std::string> touched;
    for (auto& row : rows) {
      if (stopping || inflight.count(row.request_id) > 0
          || recently_done.count(row.request_id) > 0)
        continue;
      auto shard = make_shard_id(row.entity_id, cfg.shard_group,
                                 cfg.shards_per_group);
      if (!shard)
        continue;
      auto payload = decode_message(self->system(), row.payload);
      if (!payload) {
        store_malformed(row, shard->index, payload.error());
        continue;
      }
      auto i = entities.find(row.entity_id);
      if (i == entities.end()) {
        i = entities.emplace(row.entity_id, entity_slot{}).first;
        i->second.id = &i->first;
        i->second.shard = std::move(*shard);
      }
      pending_message msg;
      msg.payload = std::move(*payload);
      msg.request_id = row.request_id;
      msg.claimed_ms = row.claimed_at_ms > 0 ? row.claimed_at_ms : now_ms;
      msg.epoch = cfg.shards->epoch(i->second.shard.index);
      msg.persisted = true;
      msg.saved = true;
      msg.recovered = true;
      i->second.queue.push_back(std::move(msg));
      inflight.insert(row.request_id);
      touched.push_back(row.entity_id);
    }
    for (auto& id : touched) {
      auto i = entities.find(id);
      if (i != entities.end() && !i->second.busy
          && serving(i->second.shard.index))
        dispatch_next(i->second);
    }
  }

  void resume(const std::vector<int32_t>& indexes) {
    std::vector<entity_slot*> ready;
    for (auto& kvp : entities)
      if (!kvp.second.busy && kvp.second.queued() > 0
          && std::find(indexes.begin(), indexes.end(), kvp.second.shard.index)
               != indexes.end())
        ready.push_back(&kvp.second);
    for (auto* slot : ready)
      dispatch_next(*slot);
  }

  // A stored message that no longer decodes is answered with the reason,
  // so that it is not delivered again and again.
  void store_malformed(const storage::request_row& row, int32_t index,
                       const caf::error& why) {
    std::fprintf(stderr,
                 "caf-cluster: stored message %lld for %s/%s does not decode "
                 "(%s); answering it with malformed_message\n",
                 static_cast<long long>(row.request_id), row.entity_type.c_str(),
                 row.entity_id.c_str(), self->system().render(why).c_str());
    auto err = caf::make_error(errc::malformed_message,
                               cfg.entity_type + "/" + row.entity_id,
                               self->system().render(why));
    storage::reply_write w;
    w.reply.request_id = row.request_id;
    w.reply.ok = false;
    if (auto bytes = encode_message(self->system(), caf::make_message(err)))
      w.reply.payload = std::move(*bytes);
    w.by.shard = row.shard;
    w.by.epoch = cfg.shards->epoch(index);
    auto reply = caf::make_message(err);
    self
      ->request(cfg.writer, caf::infinite, save_replies_atom::value,
                std::vector<storage::reply_write>{std::move(w)})
      .then(
        [this, rid = row.request_id, reply](std::vector<caf::error>& xs) {
          if (xs.size() == 1 && !xs.front())
            answer_joiners(rid, reply);
        },
        [](caf::error&) {
          // Stays unprocessed; the next claim tries again.
        });
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
    [=](deliver_atom, const std::string&, std::string& id,
        caf::message& payload, caf::timespan timeout, delivery& meta) {
      self->state.deliver(id, payload, timeout, true, meta);
    },
    [=](deliver_here_atom, const std::string&, std::string& id,
        caf::message& payload, caf::timespan timeout, delivery& meta) {
      self->state.deliver(id, payload, timeout, false, meta);
    },
    [=](recover_atom, std::vector<storage::request_row>& rows) {
      self->state.recover(rows);
      return caf::unit;
    },
    [=](resume_atom, const std::vector<int32_t>& indexes) {
      self->state.resume(indexes);
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
