// The state of one entity manager, shared by the files that implement it, one
// concern each:
// - entity_manager.cpp: the behaviour, admission of sends, bouncing sends for
//   shards served elsewhere, sender deadlines;
// - entity_queue.cpp: the per-entity serial queue (activation, dispatch,
//   replies, entity deaths) and its state transitions;
// - passivation.cpp: the idle list and its timer;
// - shard_stop.cpp: stopping a shard's entities (asked, or when the shard's
//   lease deadline passes) and shutting the manager down;
// - persisted_delivery.cpp: storing persisted messages, duplicates and
//   scheduled sends, storing replies, recovered messages;
// - durable_state.cpp: loading an entity's state at activation and storing
//   it with each persisted reply;
// - stored_backlog.cpp: persisted messages left in storage while an entity's
//   mailbox or the runner is full, read back in order as room frees.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "caf/actor_addr.hpp"
#include "caf/response_promise.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "caf_cluster/internal/counted_ids.hpp"
#include "caf_cluster/internal/deadline_watch.hpp"
#include "caf_cluster/internal/entity_manager.hpp"
#include "caf_cluster/internal/entity_slot.hpp"
#include "caf_cluster/internal/lease_guard.hpp"
#include "caf_cluster/internal/residency.hpp"
#include "caf_cluster/message_storage.hpp"

namespace caf_cluster::internal {

// -- private messages of an entity manager --------------------------------

/// Timer: answer overdue senders with `errc::timeout`.
using expire_atom = caf::atom_constant<caf::atom("cc_expire")>;

/// Timer: passivate entities idle past max_idle.
using idle_atom = caf::atom_constant<caf::atom("cc_idle")>;

/// Continues stopping idle entities on shutdown (one batch each).
using stop_more_atom = caf::atom_constant<caf::atom("cc_stopmor")>;

/// Timer `(index, seq)`: the grace of a shard stop ended.
using grace_over_atom = caf::atom_constant<caf::atom("cc_graceov")>;

/// Timer: the termination timeout of a shutdown ended.
using terminate_atom = caf::atom_constant<caf::atom("cc_termin")>;

/// `(id, who, reason)`: an entity actor terminated.
using entity_down_atom = caf::atom_constant<caf::atom("cc_down")>;

/// The manager's full interface: its protocol plus its own messages.
using entity_manager_impl = entity_manager_actor::extend<
  caf::reacts_to<expire_atom>, caf::reacts_to<idle_atom>,
  caf::reacts_to<stop_more_atom>,
  caf::reacts_to<grace_over_atom, int32_t, uint64_t>,
  caf::reacts_to<terminate_atom>, caf::reacts_to<lease_check_atom, uint64_t>,
  caf::reacts_to<room_atom>,
  caf::reacts_to<entity_down_atom, std::string, caf::actor_addr, caf::error>>;

/// A sender of a persisted message that waits for another request's reply:
/// the original of its duplicate key, or its own scheduled message.
struct joiner {
  std::string id;
  int32_t shard = 0;
  pending_message msg;
};

/// A `stop_shard` request waiting for busy entities of the shard.
struct shard_stop {
  int32_t index = 0;
  uint64_t seq = 0; // tells this stop's grace timer from later ones
  caf::response_promise promise;
};

struct manager_state {
  static inline const char* name = "caf_cluster.entity_manager";

  /// Entities stopped per handler invocation when many stop at once.
  static constexpr size_t stop_batch = 256;

  entity_manager_impl::pointer self = nullptr;
  entity_manager_config cfg;
  std::unordered_map<std::string, entity_slot> entities;
  // Entities with messages queued or running: where sender deadlines live.
  slot_list busy_slots{&entity_slot::busy_links};
  deadline_watch deadlines;
  bool stopping = false;
  bool finished = false;
  uint64_t next_activation = 1;
  // Tags each request to an entity or to storage, so that a late answer
  // (from an activation killed meanwhile) never passes for a newer one.
  uint64_t next_request_seq = 1;

  // A manager that dies for any reason (killed, crashed) takes its entities
  // along: nothing else would ever stop them.
  ~manager_state();

  // -- entity_manager.cpp: admission and routing ---------------------------

  const node_context& node() const noexcept {
    return *cfg.node;
  }

  caf::error refusal(errc code, const std::string& id) const;

  /// Whether shard `index` takes new sends here now.
  bool serving(int32_t index) const noexcept;

  /// Whether entities of shard `index` may run here now.
  bool may_run(int32_t index) const noexcept;

  void deliver(detail::entity_send& x);

  /// Hands a send for a shard this runner does not serve (any more) to the
  /// router, which finds the owner and retries; refuses it when the router
  /// delivered it (its sender retries).
  void bounce(detail::entity_send x, caf::response_promise& rp);

  void bounce(const std::string& id, int32_t shard, pending_message& msg,
              time_point now);

  entity_slot& add_slot(std::string id, int32_t shard);

  void remove(entity_slot& slot);

  void watch_deadline(time_point deadline);

  void expire_overdue();

  // -- entity_queue.cpp: the serial queue ----------------------------------

  void transition(entity_slot& slot, slot_state to);

  void dispatch_next(entity_slot& slot);

  /// Spawns the entity of `slot`, with its stored state if durable.
  caf::error activate(entity_slot& slot, const std::string* state);

  void drop_actor(entity_slot& slot);

  /// Sends `msg` to the entity as the manager's request; `f(slot, reply)`
  /// runs if the slot still waits for it.
  template <class F>
  void ask_entity(entity_slot& slot, caf::message msg, F f);

  void on_reply(entity_slot& slot, caf::message& reply);

  void complete(entity_slot& slot);

  void finish_idle(entity_slot& slot);

  void on_entity_down(const std::string& id, const caf::actor_addr& who,
                      caf::error& reason);

  /// Sends every waiting (not running) message of `slot` on to the router
  /// or back to its sender.
  void evacuate(entity_slot& slot);

  // -- passivation.cpp -----------------------------------------------------

  slot_list idle{&entity_slot::idle_links};
  bool idle_timer_pending = false;

  void arm_idle_timer();

  void on_idle_timer();

  // -- shard_stop.cpp ------------------------------------------------------

  std::vector<shard_stop> shard_stops;
  uint64_t next_stop_seq = 1;
  // Entities killed (at the end of a shard stop's grace, or at a shard's
  // deadline) until they are gone: a kill takes effect only once a running
  // handler returns, and their ids get no new activation until then.
  struct dying_entity {
    std::string id;
    int32_t shard = 0;
  };
  std::unordered_map<caf::actor_addr, dying_entity> dying;
  std::unordered_map<std::string, int> dying_ids;
  std::vector<std::string> to_stop; // idle entities left to stop on shutdown
  lease_guard guard;

  void stop_shard(int32_t index, caf::timespan grace);

  /// Sends the waiting messages of shard `index` on and stops its idle
  /// entities.
  void stop_waiting(int32_t index);

  void force_stop_shard(int32_t index, uint64_t seq);

  /// Kills what still runs in shard `index`; its senders learn that it
  /// stopped while the shard was handed over.
  void kill_running(int32_t index);

  bool shard_has_entities(int32_t index) const;

  void check_shard_stops(int32_t index);

  /// Watches the deadlines of the shards this manager occupies.
  void arm_lease_check();

  /// Stops, like a lost lease, every occupied shard past its deadline.
  void on_lease_check(uint64_t seq);

  void begin_stop();

  void stop_some();

  void force_stop();

  void finish();

  // -- persisted_delivery.cpp ----------------------------------------------

  // Persisted requests queued or running here: a recovered copy is skipped.
  // Its size is the type's persisted_pending gauge.
  counted_ids inflight;
  // Senders waiting for the reply of a request (by its id).
  reply_waiters<joiner> joiners;
  // Scheduled messages whose rows are being stored.
  std::unordered_map<int64_t, joiner> scheduling;
  // Messages that ran longer than half the claim timeout, until a claim
  // made while they ran can no longer arrive here (by id: expiry in ms).
  std::unordered_map<int64_t, int64_t> recently_done;

  bool save_request(const std::string& id, int32_t shard,
                    pending_message& msg, const persisted_message& kind);

  std::pair<entity_slot*, pending_message*> find_queued(const std::string& id,
                                                        int64_t rid);

  std::optional<joiner> take_saving(const std::string& id, int64_t rid);

  void on_saved(const std::string& id, int64_t rid, store_outcome& out);

  void on_save_failed(const std::string& id, int64_t rid, caf::error err);

  void add_joiner(int64_t rid, joiner x);

  void answer_joiners(int64_t rid, const caf::message& reply);

  template <class Pred>
  void bounce_joiners(Pred pred, std::optional<int64_t> only = std::nullopt);

  template <class Pred>
  void bounce_scheduling(Pred pred);

  void store_reply(entity_slot& slot, caf::message reply,
                   std::optional<std::string> state);

  void on_reply_stored(entity_slot& slot, const caf::message& reply,
                       caf::error err);

  void unstored(entity_slot& slot, caf::error err);

  void remember_if_long(const pending_message& msg);

  void prune_recently_done(int64_t now_ms);

  void recover(std::vector<storage::request_row>& rows);

  void store_malformed(const storage::request_row& row, int32_t index,
                       const caf::error& why);

  // -- stored_backlog.cpp --------------------------------------------------

  // Entities with persisted messages in storage that found the runner at its
  // resident cap, oldest first; admitted as entities leave.
  std::deque<std::pair<std::string, int32_t>> waiting_room;
  std::unordered_set<std::string> in_waiting_room;

  /// Returns whether a new entity may become resident, passivating idle
  /// entities of this type to make room at the runner's cap.
  bool make_room();

  /// Remembers that entity `id` has messages in storage but no room yet.
  void wait_for_room(const std::string& id, int32_t shard);

  /// Admits entities of the waiting room while the runner has room.
  void admit_waiting();

  /// Reads the next messages of `slot` that wait in storage, as many as its
  /// mailbox has room for.
  void fill(entity_slot& slot);

  /// Delivers the stored request `rid` of entity `id` now: a duplicate send
  /// found it unprocessed, and neither queued nor running here, so it waits
  /// in storage with nobody delivering it before the next claim (a workflow
  /// stores its continuation first and then sends it again to have it run).
  void deliver_stored_now(const std::string& id, int32_t shard, int64_t rid);

  /// Calls `fill` for a holding slot once half its mailbox is free: messages
  /// waiting in storage come in batches, not one read per message.
  void maybe_fill(entity_slot& slot);

  void on_filled(const std::string& id, uint64_t seq, uint64_t holds,
                 size_t limit, std::vector<storage::request_row>& rows);

  /// Queues the stored message `row` (decoded to `payload`) for `slot`.
  void enqueue_stored(entity_slot& slot, storage::request_row& row,
                      caf::message payload, int64_t now_ms);

  // -- durable_state.cpp ---------------------------------------------------

  /// Runs the head message of `slot` at its entity.
  void run_head(entity_slot& slot);

  void finish_persisted(entity_slot& slot, caf::message reply);

  void load_state(entity_slot& slot);

  void state_failed(entity_slot& slot, const caf::error& err);
};

using manager_pointer = entity_manager_impl::stateful_pointer<manager_state>;

/// Answers `rp` with `msg` unless it was answered.
inline void answer(caf::response_promise& rp, caf::message msg) {
  if (rp.pending())
    rp.deliver(std::move(msg));
}

} // namespace caf_cluster::internal

#include "caf_cluster/internal/entity_manager_state_impl.hpp"
