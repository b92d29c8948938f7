// Admission and routing of sends, sender deadlines, and the behaviour that
// ties the manager's concerns together.
#include "caf_cluster/internal/entity_manager.hpp"

#include <algorithm>

#include "caf/actor_system.hpp"
#include "caf/exit_reason.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/entity_manager_state.hpp"
#include "caf_cluster/shard_id.hpp"

namespace caf_cluster::internal {

manager_state::~manager_state() {
  for (auto& kvp : entities)
    if (kvp.second.actor)
      caf::anon_send_exit(kvp.second.actor, caf::exit_reason::kill);
}

caf::error manager_state::refusal(errc code, const std::string& id) const {
  return caf::make_error(code, cfg.entity_type + "/" + id);
}

bool manager_state::serving(int32_t index) const noexcept {
  return node().shards->active(index, *node().clock, cfg.group_slot);
}

bool manager_state::may_run(int32_t index) const noexcept {
  return node().shards->may_run(index, *node().clock, cfg.group_slot);
}

void manager_state::deliver(detail::entity_send& x) {
  auto promise = self->make_response_promise();
  if (stopping) {
    promise.deliver(refusal(errc::shutting_down, x.entity_id));
    return;
  }
  auto* kind = cfg.storage ? find_persisted(cfg.persisted, x.payload)
                           : nullptr;
  entity_slot* found = nullptr;
  int32_t index = 0;
  if (auto i = entities.find(x.entity_id); i != entities.end()) {
    found = &i->second;
    index = found->shard;
    if (!serving(index)) {
      bounce(std::move(x), promise);
      return;
    }
  } else {
    index = x.shard_index;
    if (index < 1 || index > node().config.shards_per_group) {
      // The sender found no shard for the id (or a peer sent nonsense).
      auto shard = make_shard_id(x.entity_id, cfg.shard_group,
                                 node().config.shards_per_group);
      if (!shard) {
        promise.deliver(std::move(shard.error()));
        return;
      }
      index = shard->index;
    }
    // A killed activation of this id may still run its handler: no second
    // one until it is gone (the sender retries meanwhile).
    if (!serving(index) || dying_ids.count(x.entity_id) > 0) {
      x.shard_index = index;
      bounce(std::move(x), promise);
      return;
    }
    // At the runner's resident cap a persisted message waits in storage.
    if (make_room())
      found = &add_slot(std::move(x.entity_id), index);
  }
  // The queue holds the running message too (until its reply), so its
  // length is everything in this entity's mailbox. A persisted message
  // beyond it waits in storage, as do those behind it.
  auto full = !found
              || static_cast<int64_t>(found->queued()) >= cfg.mailbox_capacity;
  if (full && !kind) {
    cfg.counters->mailbox_full.fetch_add(1, std::memory_order_relaxed);
    promise.deliver(
      refusal(errc::mailbox_full, found ? *found->id : x.entity_id));
    return;
  }
  pending_message msg;
  msg.payload = std::move(x.payload);
  msg.promise = std::move(promise);
  msg.may_reroute = x.may_reroute;
  msg.meta = x.meta;
  auto now = self->clock().now();
  // A timeout too large to add to the clock (timespan::max) means none.
  if (x.timeout < time_point::max() - now)
    msg.deadline = now + x.timeout;
  if (kind) {
    const auto& id = found ? *found->id : x.entity_id;
    auto drop_empty = [&] {
      if (found && found->queue.empty() && !found->busy() && !found->actor
          && !found->holding)
        remove(*found);
    };
    if (!save_request(id, index, msg, *kind)) {
      drop_empty();
      return;
    }
    auto hold = full || found->holding;
    auto scheduled = msg.meta.deliver_at_ms > node().clock->now_ms();
    if (hold || scheduled) {
      // The row waits in storage (until due, or until the entity has room);
      // the sender waits for its reply like a duplicate does.
      auto rid = msg.request_id;
      if (hold && !scheduled) {
        if (found) {
          found->holding = true;
          ++found->hold_seq;
        } else {
          wait_for_room(id, index);
        }
      }
      if (msg.deadline != time_point::max())
        watch_deadline(msg.deadline);
      cfg.occupancy->enter(index);
      scheduling.emplace(rid, joiner{id, index, std::move(msg)});
      drop_empty();
      return;
    }
  }
  auto& slot = *found;
  slot.queue.push_back(std::move(msg));
  if (slot.queue.back().deadline != time_point::max())
    watch_deadline(slot.queue.back().deadline);
  if (!slot.busy())
    dispatch_next(slot);
}

void manager_state::bounce(detail::entity_send x, caf::response_promise& rp) {
  if (x.may_reroute && cfg.router) {
    rp.delegate(cfg.router, deliver_atom::value, std::move(x));
    return;
  }
  rp.deliver(refusal(errc::entity_not_assigned_to_runner, x.entity_id));
}

void manager_state::bounce(const std::string& id, int32_t shard,
                           pending_message& msg, time_point now) {
  if (msg.recovered)
    return; // no sender: storage keeps it for the shard's next owner
  detail::entity_send x;
  x.entity_type = cfg.entity_type;
  x.entity_id = id;
  x.shard_index = shard;
  x.payload = std::move(msg.payload);
  if (msg.deadline != time_point::max())
    x.timeout = std::max(caf::timespan{0}, msg.deadline - now);
  x.meta = msg.meta;
  x.may_reroute = msg.may_reroute;
  bounce(std::move(x), msg.promise);
}

entity_slot& manager_state::add_slot(std::string id, int32_t shard) {
  auto i = entities.emplace(std::move(id), entity_slot{}).first;
  auto& slot = i->second;
  slot.id = &i->first;
  slot.shard = shard;
  // An entity that waited for room has older messages in storage: new ones
  // queue behind them until its read brings them in.
  slot.holding = in_waiting_room.count(i->first) > 0;
  // Counted before the shard's state is read again (in dispatch): a shard
  // manager that drains the shard then sees this entity and stops it.
  cfg.occupancy->enter(shard);
  guard.arm(self, *node().shards, *node().clock, shard, cfg.group_slot);
  return slot;
}

void manager_state::remove(entity_slot& slot) {
  for (auto i = slot.queue_head; i < slot.queue.size(); ++i)
    if (slot.queue[i].request_id != 0)
      inflight.erase(slot.queue[i].request_id);
  idle.erase(&slot);
  busy_slots.erase(&slot);
  drop_actor(slot);
  cfg.occupancy->leave(slot.shard);
  entities.erase(*slot.id);
  node().residents->leave();
  if (stopping && entities.empty())
    finish();
}

// Sender timeouts are enforced here rather than by CAF's request timeouts
// (see deadline_watch.hpp).
void manager_state::watch_deadline(time_point deadline) {
  deadlines.watch(self, deadline, expire_atom::value);
}

void manager_state::expire_overdue() {
  deadlines.fired();
  auto now = self->clock().now();
  auto next = time_point::max();
  auto expire = [&](pending_message& msg, const std::string& id) {
    if (msg.answered)
      return;
    if (msg.deadline <= now) {
      msg.answered = true;
      answer(msg.promise, caf::make_message(refusal(errc::timeout, id)));
    } else if (msg.deadline < next) {
      next = msg.deadline;
    }
  };
  for (auto* slot = busy_slots.front(); slot; slot = busy_slots.next(slot))
    for (auto i = slot->queue_head; i < slot->queue.size(); ++i)
      expire(slot->queue[i], *slot->id);
  joiners.for_each([&](joiner& x) {
    expire(x.msg, x.id);
  });
  joiners.take_if(
    [](const joiner& x) {
      return x.msg.answered;
    },
    [&](joiner& x) {
      cfg.occupancy->leave(x.shard);
    });
  // Kept until stored (the outcome looks them up), answered already.
  for (auto& kvp : scheduling)
    expire(kvp.second.msg, kvp.second.id);
  if (next != time_point::max())
    watch_deadline(next);
}

namespace {

entity_manager_impl::behavior_type manager_impl(manager_pointer self,
                                                entity_manager_config cfg) {
  auto& st = self->state;
  st.self = self;
  st.cfg = std::move(cfg);
  st.inflight.attach(&st.cfg.counters->persisted_pending);
  return {
    [=](deliver_atom, detail::entity_send& x) {
      self->state.deliver(x);
    },
    [=](recover_atom, std::vector<storage::request_row>& rows) {
      self->state.recover(rows);
    },
    [=](stop_shard_atom, int32_t index, caf::timespan grace) {
      self->state.stop_shard(index, grace);
      return caf::delegated<void>{};
    },
    [=](shutdown_atom) {
      self->state.begin_stop();
    },
    [=](expire_atom) {
      self->state.expire_overdue();
    },
    [=](idle_atom) {
      self->state.on_idle_timer();
    },
    [=](stop_more_atom) {
      self->state.stop_some();
    },
    [=](grace_over_atom, int32_t index, uint64_t seq) {
      self->state.force_stop_shard(index, seq);
    },
    [=](terminate_atom) {
      self->state.force_stop();
    },
    [=](lease_check_atom, uint64_t seq) {
      self->state.on_lease_check(seq);
    },
    [=](room_atom) {
      self->state.admit_waiting();
    },
    [=](entity_down_atom, const std::string& id, const caf::actor_addr& who,
        caf::error& reason) {
      self->state.on_entity_down(id, who, reason);
    },
  };
}

} // namespace

entity_manager_actor spawn_entity_manager(caf::actor_system& sys,
                                          entity_manager_config cfg) {
  return sys.spawn(manager_impl, std::move(cfg));
}

} // namespace caf_cluster::internal
