// Persisted messages: stored (through the message-storage layer) before they
// may run, once per primary key; duplicates and scheduled sends wait for the
// original's reply; the reply is stored under the shard's lease epoch before
// anyone is answered; stored messages claimed for this runner's shards run as
// if they had just arrived.

#include "caf/actor_system.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/entity_manager_state.hpp"
#include "caf_cluster/shard_id.hpp"

namespace caf_cluster::internal {

// Stores `msg` before it may run; false when it was answered already.
bool manager_state::save_request(const std::string& id, int32_t shard,
                                 pending_message& msg,
                                 const persisted_message& kind) {
  stored_send x;
  x.entity_type = cfg.entity_type;
  x.entity_id = id;
  x.shard_group = cfg.shard_group;
  x.shard_index = shard;
  x.payload = msg.payload;
  x.primary_key = kind.key(msg.payload);
  x.deliver_at_ms = msg.meta.deliver_at_ms;
  x.identity = msg.meta;
  auto made = cfg.storage.make_row(x);
  if (!made) {
    answer(msg.promise, caf::make_message(std::move(made.error())));
    return false;
  }
  auto row = std::move(*made);
  // Delivered from here at once: claimed by this runner, so that the
  // periodic claims leave it alone while it waits and runs.
  auto now_ms = node().clock->now_ms();
  if (row.deliver_at_ms <= now_ms)
    row.claimed_at_ms = now_ms;
  msg.claimed_ms = now_ms;
  msg.epoch = node().shards->epoch(shard, cfg.group_slot);
  msg.persisted = true;
  msg.state = message_state::storing;
  msg.request_id = row.request_id;
  auto rid = row.request_id;
  cfg.storage.store(
    self, std::move(row),
    [this, id, rid](store_outcome& out) {
      on_saved(id, rid, out);
    },
    [this, id, rid](caf::error& err) {
      on_save_failed(id, rid, std::move(err));
    });
  return true;
}

// Finds the queued message with row id `rid`, or null.
std::pair<entity_slot*, pending_message*>
manager_state::find_queued(const std::string& id, int64_t rid) {
  auto i = entities.find(id);
  if (i == entities.end())
    return {nullptr, nullptr};
  auto& slot = i->second;
  for (auto k = slot.queue_head; k < slot.queue.size(); ++k)
    if (slot.queue[k].request_id == rid
        && slot.queue[k].state != message_state::dropped)
      return {&slot, &slot.queue[k]};
  return {&slot, nullptr};
}

// Takes a message being stored out of the queue or the scheduled ones.
std::optional<joiner> manager_state::take_saving(const std::string& id,
                                                 int64_t rid) {
  if (auto i = scheduling.find(rid); i != scheduling.end()) {
    auto result = std::move(i->second);
    scheduling.erase(i);
    cfg.occupancy->leave(result.shard);
    return result;
  }
  auto [slot, msg] = find_queued(id, rid);
  if (!msg)
    return std::nullopt; // moved on meanwhile (evacuated or stopped)
  joiner result{id, slot->shard, std::move(*msg)};
  msg->state = message_state::dropped;
  if (slot->busy() && !slot->running())
    dispatch_next(*slot);
  return result;
}

void manager_state::on_saved(const std::string& id, int64_t rid,
                             store_outcome& out) {
  if (!out.duplicate) {
    if (auto i = scheduling.find(rid); i != scheduling.end()) {
      // Due later, or when its entity has room: delivered from storage.
      auto x = std::move(i->second);
      scheduling.erase(i);
      cfg.occupancy->leave(x.shard);
      add_joiner(rid, std::move(x));
      if (auto j = entities.find(id); j != entities.end() && j->second.holding)
        maybe_fill(j->second);
      return;
    }
    auto [slot, msg] = find_queued(id, rid);
    if (!msg)
      return;
    msg->state = message_state::ready;
    inflight.insert(rid);
    if (slot->busy() && !slot->running())
      dispatch_next(*slot);
    return;
  }
  auto waiting = take_saving(id, rid);
  if (!waiting)
    return;
  if (out.reply) {
    answer(waiting->msg.promise, std::move(*out.reply));
    return;
  }
  // The original has no reply yet: it is queued here, or stored and
  // delivered now (it may wait in storage with nobody delivering it until
  // the next claim); this sender gets its reply.
  if (waiting->msg.deadline != time_point::max())
    watch_deadline(waiting->msg.deadline);
  auto shard = waiting->shard;
  add_joiner(out.request_id, std::move(*waiting));
  deliver_stored_now(id, shard, out.request_id);
}

void manager_state::on_save_failed(const std::string& id, int64_t rid,
                                   caf::error err) {
  if (auto waiting = take_saving(id, rid))
    answer(waiting->msg.promise, caf::make_message(std::move(err)));
}

void manager_state::add_joiner(int64_t rid, joiner x) {
  if (x.msg.answered)
    return; // its sender gave up already: nobody to answer
  cfg.occupancy->enter(x.shard);
  guard.arm(self, *node().shards, *node().clock, x.shard, cfg.group_slot);
  joiners.add(rid, std::move(x));
}

void manager_state::answer_joiners(int64_t rid, const caf::message& reply) {
  joiners.complete(rid, [&](joiner& x) {
    if (!x.msg.answered)
      answer(x.msg.promise, reply);
    cfg.occupancy->leave(x.shard);
  });
}

// The running persisted message replied: store the reply (and the state)
// under the shard's lease, then answer.
void manager_state::store_reply(entity_slot& slot, caf::message reply,
                                std::optional<std::string> state) {
  auto& head = slot.head();
  reply_to_store x;
  x.request_id = head.request_id;
  // The epoch under which this runner took the message on, not today's:
  // a runner that lost the shard and acquired it again meanwhile must not
  // store the outcome of a run the new acquisition repeats.
  x.by.shard = to_string(shard_id{cfg.shard_group, slot.shard});
  x.by.epoch = head.epoch;
  x.reply = std::move(reply);
  if (state)
    x.state = storage::state_row{cfg.entity_type, *slot.id, std::move(*state)};
  auto seq = slot.request_seq = next_request_seq++;
  cfg.storage.store_reply(
    self, std::move(x),
    [this, id = *slot.id, seq](caf::error err, caf::message stored) {
      auto i = entities.find(id);
      if (i == entities.end() || i->second.request_seq != seq)
        return;
      on_reply_stored(i->second, stored, std::move(err));
    });
}

void manager_state::on_reply_stored(entity_slot& slot,
                                    const caf::message& reply, caf::error err) {
  if (err == storage::errc::fenced) {
    // Another runner owns the shard now and runs the message from storage
    // (the storage layer stopped the shard here); the senders get its
    // reply there.
    unstored(slot, caf::none);
    return;
  }
  if (err) {
    unstored(slot, std::move(err));
    return;
  }
  auto& head = slot.head();
  inflight.erase(head.request_id);
  remember_if_long(head);
  if (!head.answered)
    answer(head.promise, reply);
  answer_joiners(head.request_id, reply);
  complete(slot);
}

// The running message's outcome could not be stored: its effects in the
// entity are discarded with the entity (storage still has the message as
// unprocessed, so it runs again from the stored state), and its senders learn
// `err`, or without one go on to the shard's owner.
void manager_state::unstored(entity_slot& slot, caf::error err) {
  drop_actor(slot);
  auto& head = slot.head();
  auto rid = head.request_id;
  inflight.erase(rid);
  if (!err) {
    auto now = self->clock().now();
    if (!head.answered)
      bounce(*slot.id, slot.shard, head, now);
    bounce_joiners(
      [](const joiner&) {
        return true;
      },
      rid);
  } else {
    auto reply = caf::make_message(err);
    if (!head.answered)
      answer(head.promise, reply);
    answer_joiners(rid, reply);
  }
  transition(slot, slot_state::waiting);
  ++slot.queue_head;
  dispatch_next(slot);
}

// A periodic claim may return a message again once it was claimed
// `claim_timeout` ago; if that message finishes while the claim's rows
// travel here, they must not run it again.
void manager_state::remember_if_long(const pending_message& msg) {
  auto timeout = to_ms(node().config.message_claim_timeout);
  auto now = node().clock->now_ms();
  if (now - msg.claimed_ms >= timeout / 2) {
    prune_recently_done(now);
    recently_done.emplace(msg.request_id, now + timeout);
  }
}

void manager_state::prune_recently_done(int64_t now_ms) {
  for (auto i = recently_done.begin(); i != recently_done.end();)
    i = i->second <= now_ms ? recently_done.erase(i) : std::next(i);
}

// Stored messages claimed for this runner's shards, oldest first. An entity
// takes as many as its mailbox has room for; the rest stay in storage, read
// back in order as it gets room.
void manager_state::recover(std::vector<storage::request_row>& rows) {
  auto now_ms = node().clock->now_ms();
  prune_recently_done(now_ms);
  for (auto& row : rows) {
    if (stopping || inflight.count(row.request_id) > 0
        || recently_done.count(row.request_id) > 0)
      continue;
    auto shard = make_shard_id(row.entity_id, cfg.shard_group,
                               node().config.shards_per_group);
    // Rows of a shard that stopped meanwhile, or of an entity whose killed
    // activation still runs, stay stored for the next claim.
    if (!shard || !may_run(shard->index)
        || dying_ids.count(row.entity_id) > 0)
      continue;
    auto i = entities.find(row.entity_id);
    if (i != entities.end() && i->second.holding)
      continue; // behind messages of its entity that wait in storage
    auto payload = cfg.storage.decode(row);
    if (!payload) {
      store_malformed(row, shard->index, payload.error());
      continue;
    }
    if (i == entities.end() && !make_room()) {
      wait_for_room(row.entity_id, shard->index);
      continue;
    }
    auto& slot = i != entities.end() ? i->second
                                     : add_slot(row.entity_id, shard->index);
    if (slot.holding)
      continue; // waited for room: its read brings this row in, in order
    if (static_cast<int64_t>(slot.queued()) >= cfg.mailbox_capacity) {
      slot.holding = true;
      continue;
    }
    enqueue_stored(slot, row, std::move(*payload), now_ms);
    // At once, not after the loop: an idle slot with a queued row would be
    // the first one make_room passivates for a later row.
    if (!slot.busy() && may_run(slot.shard))
      dispatch_next(slot);
  }
}

// A stored message that no longer decodes is answered with the reason, so
// that it is not delivered again and again.
void manager_state::store_malformed(const storage::request_row& row,
                                    int32_t index, const caf::error& why) {
  node().log->error("messages", "stored message ", row.request_id, " for ",
                    row.entity_type, "/", row.entity_id, " does not decode (",
                    why, "); answering it with malformed_message");
  reply_to_store x;
  x.request_id = row.request_id;
  x.by.shard = row.shard;
  x.by.epoch = node().shards->epoch(index, cfg.group_slot);
  x.reply = caf::make_message(caf::make_error(
    errc::malformed_message, cfg.entity_type + "/" + row.entity_id,
    self->system().render(why)));
  cfg.storage.store_reply(self, std::move(x),
                          [this, rid = row.request_id](caf::error err,
                                                       caf::message stored) {
                            // On failure it stays unprocessed; the next
                            // claim tries again.
                            if (!err)
                              answer_joiners(rid, stored);
                          });
}

} // namespace caf_cluster::internal
