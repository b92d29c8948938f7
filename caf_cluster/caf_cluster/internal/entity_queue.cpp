// The per-entity serial queue: one message at a time at the entity, in
// arrival order; activation on demand; what happens when the entity replies
// or dies.
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "caf/actor_system.hpp"
#include "caf/exit_reason.hpp"
#include "caf/sec.hpp"
#include "caf/send.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/entity_manager_state.hpp"

namespace caf_cluster::internal {

namespace {

// Exit reason of entities the manager passivates or stops on shutdown.
const caf::error& stopped_by_manager() {
  static const caf::error reason = caf::make_error(errc::shutting_down);
  return reason;
}

} // namespace

void manager_state::transition(entity_slot& slot, slot_state to) {
  if (slot.state == to)
    return;
  if (!allowed(slot.state, to)) {
    // A broken invariant here would mean two messages at one entity.
    std::fprintf(stderr, "caf-cluster: entity %s/%s: no transition %s -> %s\n",
                 cfg.entity_type.c_str(), slot.id->c_str(),
                 to_string(slot.state), to_string(to));
    std::abort();
  }
  if (slot.state == slot_state::idle) {
    idle.erase(&slot);
    busy_slots.push_back(&slot);
  } else if (to == slot_state::idle) {
    busy_slots.erase(&slot);
  }
  slot.state = to;
}

// Sends the oldest queued message to the entity, activating it if needed.
void manager_state::dispatch_next(entity_slot& slot) {
  // Resumed when what is under way (the state, the running message) is in.
  if (slot.state == slot_state::loading || slot.running())
    return;
  // An entity that never runs dry would otherwise keep every answered
  // message (and its payload) until it does.
  if (slot.queue_head >= 64 && slot.queue_head * 2 >= slot.queue.size()) {
    slot.queue.erase(slot.queue.begin(),
                     slot.queue.begin()
                       + static_cast<std::ptrdiff_t>(slot.queue_head));
    slot.queue_head = 0;
  }
  while (slot.queue_head < slot.queue.size() && !slot.head().runnable())
    ++slot.queue_head;
  maybe_fill(slot);
  if (slot.queue_head == slot.queue.size()) {
    if (!slot.holding && !slot.filling)
      finish_idle(slot);
    return;
  }
  if (!may_run(slot.shard)) {
    // The shard moved or its lease lapsed while these messages waited.
    evacuate(slot);
    auto index = slot.shard;
    remove(slot);
    check_shard_stops(index);
    return;
  }
  if (slot.state == slot_state::idle)
    transition(slot, slot_state::waiting);
  if (slot.head().state == message_state::storing)
    return; // resumed when its row is stored
  if (!slot.actor) {
    if (cfg.durable) {
      load_state(slot);
      return;
    }
    if (auto err = activate(slot, nullptr)) {
      state_failed(slot, err);
      return;
    }
  }
  transition(slot, slot_state::running);
  run_head(slot);
}

caf::error manager_state::activate(entity_slot& slot,
                                   const std::string* state) {
  entity_address addr{cfg.entity_type, *slot.id,
                      shard_id{cfg.shard_group, slot.shard}};
  slot.fence_epoch = std::make_shared<std::atomic<int64_t>>(
    node().shards->epoch(slot.shard, cfg.group_slot));
  auto made = cfg.factory(
    self, entity_context{std::move(addr), cfg.service, slot.fence_epoch},
    state);
  if (!made)
    return std::move(made.error());
  slot.actor = std::move(*made);
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
  return caf::none;
}

void manager_state::drop_actor(entity_slot& slot) {
  if (!slot.actor)
    return;
  self->send_exit(slot.actor, stopped_by_manager());
  slot.actor = nullptr;
  cfg.counters->resident.fetch_sub(1, std::memory_order_relaxed);
}

void manager_state::on_entity_down(const std::string& id,
                                   const caf::actor_addr& who,
                                   caf::error& reason) {
  if (auto d = dying.find(who); d != dying.end()) {
    auto index = d->second.shard;
    if (--dying_ids[d->second.id] == 0)
      dying_ids.erase(d->second.id);
    dying.erase(d);
    cfg.occupancy->leave(index);
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
  if (slot.state == slot_state::finishing)
    return; // the snapshot request fails and handles it
  if (!slot.busy()) {
    remove(slot);
    return;
  }
  if (!slot.running())
    return; // the next message activates it again
  if (!reason || reason == caf::exit_reason::normal
      || reason == caf::exit_reason::user_shutdown)
    reason = caf::make_error(errc::entity_failed, cfg.entity_type + "/" + id,
                             std::string{"entity stopped before replying"});
  auto reply = caf::make_message(std::move(reason));
  on_reply(slot, reply);
}

void manager_state::on_reply(entity_slot& slot, caf::message& reply) {
  if (reply.match_elements<caf::error>()) {
    auto& err = reply.get_as<caf::error>(0);
    if (err == caf::sec::request_receiver_down && !slot.retried) {
      // The entity quit on its own before this message reached it, so the
      // message was never processed: re-activate and deliver it once more.
      slot.retried = true;
      if (slot.actor) {
        slot.actor = nullptr;
        cfg.counters->resident.fetch_sub(1, std::memory_order_relaxed);
      }
      transition(slot, slot_state::waiting);
      dispatch_next(slot);
      return;
    }
    if (err == caf::sec::request_receiver_down) {
      // Gone twice before the message reached it (its behaviour cannot
      // start, or it quits at once): the entity failed.
      drop_actor(slot);
      reply = caf::make_message(
        caf::make_error(errc::entity_failed, cfg.entity_type + "/" + *slot.id,
                        std::string{"entity stopped before replying"}));
    } else if (err == errc::entity_failed) {
      drop_actor(slot);
    }
  }
  slot.retried = false;
  auto& current = slot.head();
  cfg.counters->handler_latency.observe(std::chrono::steady_clock::now()
                                        - current.started);
  if (reply.match_elements<caf::error>() && reply.get_as<caf::error>(0))
    cfg.counters->failed.fetch_add(1, std::memory_order_relaxed);
  if (current.persisted) {
    finish_persisted(slot, std::move(reply));
    return;
  }
  if (!current.answered)
    answer(current.promise, std::move(reply));
  complete(slot);
}

// The running message is done: on to the next one.
void manager_state::complete(entity_slot& slot) {
  cfg.counters->processed.fetch_add(1, std::memory_order_relaxed);
  transition(slot, slot_state::waiting);
  ++slot.queue_head;
  dispatch_next(slot);
}

// The entity has nothing left to do: it waits for passivation (or stops at
// once during a shutdown, or when its shard is being handed over).
void manager_state::finish_idle(entity_slot& slot) {
  slot.queue.clear();
  slot.queue_head = 0;
  transition(slot, slot_state::idle);
  if (stopping) {
    remove(slot);
    return;
  }
  if (!may_run(slot.shard)) {
    auto index = slot.shard;
    remove(slot);
    check_shard_stops(index);
    return;
  }
  if (!cfg.keep_alive && node().residents->wanted()) {
    // Entities wait for room at the runner's resident cap: this one makes
    // room rather than waiting for its max_idle.
    cfg.counters->passivations.fetch_add(1, std::memory_order_relaxed);
    remove(slot);
    return;
  }
  slot.idle_since = self->clock().now();
  if (!cfg.keep_alive) {
    idle.push_back(&slot);
    arm_idle_timer();
  }
}

// Persisted messages stay in storage for the shard's next owner; their
// senders retry there and join them.
void manager_state::evacuate(entity_slot& slot) {
  auto first = slot.running() ? slot.queue_head + 1 : slot.queue_head;
  auto now = self->clock().now();
  for (auto i = first; i < slot.queue.size(); ++i) {
    auto& msg = slot.queue[i];
    if (msg.request_id != 0)
      inflight.erase(msg.request_id);
    if (msg.answered || msg.state == message_state::dropped)
      continue;
    bounce(*slot.id, slot.shard, msg, now);
  }
  slot.queue.resize(std::min(slot.queue.size(), first));
}

} // namespace caf_cluster::internal
