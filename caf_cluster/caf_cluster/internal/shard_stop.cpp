// Stopping entities: a shard's, when the shard manager hands it over or its
// lease deadline passes unrefreshed; all of them, when the runner shuts down.
#include <algorithm>

#include "caf/exit_reason.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/entity_manager_state.hpp"

namespace caf_cluster::internal {

namespace {

// An entity whose queue ran dry while messages of it were left in storage,
// with no read of them under way: nothing of it runs.
bool dry_waiting(const entity_slot& slot) {
  return slot.state == slot_state::waiting && slot.queued() == 0
         && !slot.filling;
}

} // namespace

// Idle entities stop at once, busy ones after their running message; waiting
// messages go to the shard's next owner.
void manager_state::stop_shard(int32_t index, caf::timespan grace) {
  auto promise = self->make_response_promise();
  stop_waiting(index);
  if (!shard_has_entities(index)) {
    promise.deliver(caf::unit);
    return;
  }
  auto seq = next_stop_seq++;
  shard_stops.push_back(shard_stop{index, seq, std::move(promise)});
  self->delayed_send(self, grace, grace_over_atom::value, index, seq);
}

void manager_state::stop_waiting(int32_t index) {
  std::vector<entity_slot*> in_shard;
  for (auto& kvp : entities)
    if (kvp.second.shard == index)
      in_shard.push_back(&kvp.second);
  for (auto* slot : in_shard) {
    evacuate(*slot);
    if (!slot->running())
      remove(*slot);
  }
  bounce_joiners([index](const joiner& x) {
    return x.shard == index;
  });
  bounce_scheduling([index](const joiner& x) {
    return x.shard == index;
  });
}

bool manager_state::shard_has_entities(int32_t index) const {
  for (auto& kvp : entities)
    if (kvp.second.shard == index)
      return true;
  for (auto& kvp : dying)
    if (kvp.second.shard == index)
      return true;
  return false;
}

// Answers the stop requests of `index` once its last entity is gone.
void manager_state::check_shard_stops(int32_t index) {
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
void manager_state::force_stop_shard(int32_t index, uint64_t seq) {
  auto pending = std::any_of(shard_stops.begin(), shard_stops.end(),
                             [&](const shard_stop& x) {
                               return x.seq == seq;
                             });
  if (!pending)
    return; // that stop completed on time
  kill_running(index);
  check_shard_stops(index);
}

void manager_state::kill_running(int32_t index) {
  std::vector<entity_slot*> in_shard;
  for (auto& kvp : entities)
    if (kvp.second.shard == index)
      in_shard.push_back(&kvp.second);
  auto now = self->clock().now();
  for (auto* slot : in_shard) {
    evacuate(*slot);
    if (slot->running()) {
      auto& head = slot->head();
      if (head.request_id != 0)
        inflight.erase(head.request_id);
      if (head.persisted) {
        // Stored: the shard's next owner runs it at most once more (or
        // has its reply), so its sender simply goes there.
        if (!head.answered)
          bounce(*slot->id, slot->shard, head, now);
      } else if (!head.answered) {
        answer(head.promise,
               caf::make_message(caf::make_error(
                 errc::entity_not_assigned_to_runner,
                 cfg.entity_type + "/" + *slot->id,
                 std::string{"stopped while handing its shard over; the "
                             "message may have run"})));
      }
    }
    if (slot->actor) {
      // A kill takes effect only once the running handler returns: the
      // shard counts as stopped (and its lease is released) after the
      // entity's death notice, never while it may still run.
      dying.emplace(slot->actor.address(), dying_entity{*slot->id, index});
      ++dying_ids[*slot->id];
      cfg.occupancy->enter(index);
      self->send_exit(slot->actor, caf::exit_reason::kill);
      slot->actor = nullptr;
      cfg.counters->resident.fetch_sub(1, std::memory_order_relaxed);
    }
    remove(*slot);
  }
}

void manager_state::arm_lease_check() {
  guard.arm(self, *node().shards, *node().clock,
            cfg.occupancy->occupied_shards(), cfg.group_slot);
}

// Without a refresh the shard manager would stop these shards itself; when
// it cannot (it hangs in a storage call, or is frozen) this does, on time: a
// new owner may take the shard once its lease expires.
void manager_state::on_lease_check(uint64_t seq) {
  if (!guard.fired(seq))
    return;
  for (auto index : cfg.occupancy->occupied_shards()) {
    if (!node().shards->lapsed(index, *node().clock, cfg.group_slot))
      continue;
    stop_waiting(index);
    kill_running(index);
    check_shard_stops(index);
  }
  arm_lease_check();
}

void manager_state::begin_stop() {
  if (stopping)
    return;
  stopping = true;
  // Their senders retry at the shard's next owner.
  bounce_joiners([](const joiner&) {
    return true;
  });
  bounce_scheduling([](const joiner&) {
    return true;
  });
  for (auto& kvp : entities) {
    // Messages left in storage wait for the shard's next owner.
    kvp.second.holding = false;
    if (!kvp.second.busy() || dry_waiting(kvp.second))
      to_stop.push_back(kvp.first);
  }
  self->delayed_send(self, node().config.entity_termination_timeout,
                     terminate_atom::value);
  stop_some();
}

// Stops idle entities in batches: one handler sending 100,000 exits starves
// the scheduler (measured under work-stealing with more workers than cores).
void manager_state::stop_some() {
  for (size_t n = 0; n < stop_batch && !to_stop.empty(); ++n) {
    auto i = entities.find(to_stop.back());
    to_stop.pop_back();
    if (i != entities.end()
        && (!i->second.busy() || dry_waiting(i->second)))
      remove(i->second);
  }
  if (entities.empty())
    finish();
  else if (!to_stop.empty())
    self->send(self, stop_more_atom::value);
}

// The termination timeout passed: fail what is still waiting and stop.
void manager_state::force_stop() {
  for (auto& kvp : entities) {
    auto& slot = kvp.second;
    for (auto i = slot.queue_head; i < slot.queue.size(); ++i) {
      auto& msg = slot.queue[i];
      if (!msg.answered && msg.state != message_state::dropped)
        answer(msg.promise,
               caf::make_message(refusal(errc::shutting_down, kvp.first)));
    }
    if (slot.actor) {
      self->send_exit(slot.actor, caf::exit_reason::kill);
      cfg.counters->resident.fetch_sub(1, std::memory_order_relaxed);
    }
    cfg.occupancy->leave(slot.shard);
    node().residents->leave();
  }
  entities.clear();
  inflight.clear();
  finish();
}

void manager_state::finish() {
  if (!finished) {
    finished = true;
    self->quit();
  }
}

} // namespace caf_cluster::internal
