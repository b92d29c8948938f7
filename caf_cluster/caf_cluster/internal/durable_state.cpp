// Durable state: a new activation starts from the stored state (loaded before
// it is spawned), and the state comes back with each persisted reply (the
// entity answers `run_atom` with reply and state together) to be stored in
// the reply's transaction.
#include "caf/actor_system.hpp"

#include "caf_cluster/detail/durable_state.hpp"
#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/entity_manager_state.hpp"

namespace caf_cluster::internal {

void manager_state::run_head(entity_slot& slot) {
  auto& head = slot.head();
  // Before the message leaves: its handler reads it through fence().
  if (slot.fence_epoch)
    slot.fence_epoch->store(head.persisted
                              ? head.epoch
                              : node().shards->epoch(slot.shard,
                                                     cfg.group_slot));
  head.started = std::chrono::steady_clock::now();
  auto msg = head.payload;
  if (cfg.durable && head.persisted)
    msg = caf::make_message(detail::run_atom::value, std::move(msg));
  ask_entity(slot, std::move(msg), [this](entity_slot& s, caf::message& reply) {
    on_reply(s, reply);
  });
}

void manager_state::finish_persisted(entity_slot& slot, caf::message reply) {
  transition(slot, slot_state::finishing);
  if (reply
        .match_elements<detail::with_state_atom, caf::message, std::string>()) {
    store_reply(slot, reply.get_as<caf::message>(1),
                std::move(reply.get_mutable_as<std::string>(2)));
    return;
  }
  if (!cfg.durable || !slot.actor) {
    // Without an entity there is no state to store: a failed entity's
    // changes died with it.
    store_reply(slot, std::move(reply), std::nullopt);
    return;
  }
  // The handler answered later (a response promise): ask for the state.
  ask_entity(slot, caf::make_message(detail::snapshot_atom::value),
             [this, reply](entity_slot& s, caf::message& snap) mutable {
               if (snap.match_elements<std::string>()) {
                 store_reply(s, std::move(reply),
                             std::move(snap.get_mutable_as<std::string>(0)));
                 return;
               }
               // The state is gone (the entity quit after replying): the
               // message runs again from the stored state.
               unstored(s,
                        caf::make_error(
                          errc::entity_failed, cfg.entity_type + "/" + *s.id,
                          std::string{"the entity stopped before its "
                                      "state was stored; the message "
                                      "will run again"}));
             });
}

// A new activation of a durable entity starts from its stored state.
void manager_state::load_state(entity_slot& slot) {
  transition(slot, slot_state::loading);
  auto id = *slot.id;
  auto seq = slot.request_seq = next_request_seq++;
  auto current = [this, id, seq]() -> entity_slot* {
    auto i = entities.find(id);
    if (i == entities.end() || i->second.request_seq != seq
        || i->second.state != slot_state::loading)
      return nullptr;
    return &i->second;
  };
  cfg.storage.load_state(
    self, cfg.entity_type, id,
    [this, current](std::optional<std::string>& bytes) {
      auto* slot = current();
      if (!slot)
        return;
      if (auto err = activate(*slot, bytes ? &*bytes : nullptr)) {
        state_failed(*slot, err);
        return;
      }
      transition(*slot, slot_state::waiting);
      dispatch_next(*slot);
    },
    [this, current](caf::error& err) {
      if (auto* slot = current())
        state_failed(*slot, err);
    });
}

// The stored state cannot be loaded (storage failed, or it no longer
// decodes): the entity must not run from an empty state, so its waiting
// senders get the error; persisted messages stay stored.
void manager_state::state_failed(entity_slot& slot, const caf::error& err) {
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
    if (!msg.answered && msg.state != message_state::dropped)
      answer(msg.promise, reply);
  }
  slot.queue.clear();
  slot.queue_head = 0;
  auto index = slot.shard;
  remove(slot);
  check_shard_stops(index);
}

} // namespace caf_cluster::internal
