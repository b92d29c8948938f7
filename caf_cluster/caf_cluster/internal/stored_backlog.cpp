// Persisted messages that found no room stay in storage: those beyond an
// entity's mailbox capacity, and those for an entity that found the runner at
// its resident cap. The entity reads them back in id order (never the whole
// backlog at once, only what its mailbox has room for) and every later
// message of the entity waits behind them, so none overtakes another and each
// runs once.
#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/entity_manager_state.hpp"

namespace caf_cluster::internal {

bool manager_state::make_room() {
  auto& residents = *node().residents;
  if (residents.try_enter())
    return true;
  // Idle entities go first, least recently active first.
  while (auto* front = idle.front()) {
    cfg.counters->passivations.fetch_add(1, std::memory_order_relaxed);
    remove(*front);
    if (residents.try_enter())
      return true;
  }
  return false;
}

void manager_state::wait_for_room(const std::string& id, int32_t shard) {
  if (in_waiting_room.insert(id).second)
    waiting_room.emplace_back(id, shard);
  node().residents->notify_on_room(self->address());
}

void manager_state::admit_waiting() {
  while (!waiting_room.empty() && !stopping) {
    auto& [id, shard] = waiting_room.front();
    if (auto i = entities.find(id); i != entities.end()) {
      // Resident again meanwhile: it reads its stored messages in order.
      i->second.holding = true;
      fill(i->second);
    } else if (may_run(shard) && dying_ids.count(id) == 0) {
      if (!make_room()) {
        node().residents->notify_on_room(self->address());
        return;
      }
      auto& slot = add_slot(id, shard);
      slot.holding = true;
      fill(slot);
    }
    // Else its messages stay stored for the shard's next owner, or for
    // the next claim once the killed activation is gone.
    in_waiting_room.erase(id);
    waiting_room.pop_front();
  }
  if (stopping) {
    waiting_room.clear();
    in_waiting_room.clear();
  }
}

void manager_state::deliver_stored_now(const std::string& id, int32_t shard,
                                       int64_t rid) {
  if (stopping || !may_run(shard) || inflight.count(rid) > 0
      || recently_done.count(rid) > 0 || dying_ids.count(id) > 0)
    return;
  auto i = entities.find(id);
  if (i == entities.end()) {
    if (!make_room()) {
      wait_for_room(id, shard);
      return;
    }
    auto& slot = add_slot(id, shard);
    slot.holding = true;
    fill(slot);
    return;
  }
  auto& slot = i->second;
  if (find_queued(id, rid).second != nullptr)
    return;
  // A read under way may have missed the row: it then keeps holding.
  slot.holding = true;
  ++slot.hold_seq;
  fill(slot);
}

void manager_state::maybe_fill(entity_slot& slot) {
  if (slot.holding && !slot.filling
      && static_cast<int64_t>(slot.queued()) * 2 <= cfg.mailbox_capacity)
    fill(slot);
}

void manager_state::fill(entity_slot& slot) {
  if (slot.filling)
    return;
  if (stopping || !may_run(slot.shard)) {
    // The shard's next owner (or the next start) delivers them.
    slot.holding = false;
    return;
  }
  // Queued persisted messages are unprocessed in storage too: the read
  // returns them first.
  size_t queued_rows = 0;
  for (auto i = slot.queue_head; i < slot.queue.size(); ++i)
    if (slot.queue[i].request_id != 0)
      ++queued_rows;
  auto room = cfg.mailbox_capacity - static_cast<int64_t>(slot.queued());
  if (room <= 0)
    return;
  if (slot.state == slot_state::idle)
    transition(slot, slot_state::waiting);
  slot.filling = true;
  auto seq = slot.fill_seq = next_request_seq++;
  auto limit = queued_rows + static_cast<size_t>(room);
  // Sends left in storage after this read are not in its result.
  auto holds = slot.hold_seq;
  cfg.storage.unprocessed_for(
    self, cfg.entity_type, *slot.id, node().clock->now_ms(), limit,
    [this, id = *slot.id, seq, holds,
     limit](std::vector<storage::request_row>& rows) {
      on_filled(id, seq, holds, limit, rows);
    },
    [this, id = *slot.id, seq](caf::error&) {
      auto i = entities.find(id);
      if (i == entities.end() || i->second.fill_seq != seq)
        return;
      // The periodic claims deliver them after the claim timeout.
      auto& x = i->second;
      x.filling = false;
      x.holding = false;
      if (x.state != slot_state::loading && !x.running())
        dispatch_next(x);
    });
}

void manager_state::on_filled(const std::string& id, uint64_t seq,
                              uint64_t holds, size_t limit,
                              std::vector<storage::request_row>& rows) {
  auto i = entities.find(id);
  if (i == entities.end() || i->second.fill_seq != seq || !i->second.filling)
    return; // the entity stopped meanwhile
  auto& slot = i->second;
  slot.filling = false;
  if (stopping || !may_run(slot.shard)) {
    slot.holding = false;
  } else {
    // The storage writer answers in order: a message whose reply was stored
    // before this read is not in it, and one that is in it is still queued.
    std::unordered_set<int64_t> queued;
    for (auto k = slot.queue_head; k < slot.queue.size(); ++k)
      if (slot.queue[k].request_id != 0)
        queued.insert(slot.queue[k].request_id);
    auto now_ms = node().clock->now_ms();
    auto all = rows.size() < limit && slot.hold_seq == holds;
    for (auto& row : rows) {
      if (queued.count(row.request_id) > 0 || inflight.count(row.request_id) > 0
          || recently_done.count(row.request_id) > 0)
        continue;
      if (static_cast<int64_t>(slot.queued()) >= cfg.mailbox_capacity) {
        all = false;
        break;
      }
      auto payload = cfg.storage.decode(row);
      if (!payload) {
        store_malformed(row, slot.shard, payload.error());
        continue;
      }
      enqueue_stored(slot, row, std::move(*payload), now_ms);
    }
    if (all)
      slot.holding = false;
  }
  if (slot.state == slot_state::loading || slot.running())
    return; // on with the next message once this one is done
  dispatch_next(slot);
}

void manager_state::enqueue_stored(entity_slot& slot, storage::request_row& row,
                                   caf::message payload, int64_t now_ms) {
  pending_message msg;
  msg.payload = std::move(payload);
  msg.request_id = row.request_id;
  msg.claimed_ms = row.claimed_at_ms > 0 ? row.claimed_at_ms : now_ms;
  msg.epoch = node().shards->epoch(slot.shard, cfg.group_slot);
  msg.persisted = true;
  msg.recovered = true;
  slot.queue.push_back(std::move(msg));
  inflight.insert(row.request_id);
}

} // namespace caf_cluster::internal
