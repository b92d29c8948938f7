// One entity as its manager knows it: the actor (while activated), its serial
// queue of messages and where it stands, as one explicit state. The manager
// feeds the entity one message at a time; every change of state goes through
// `manager_state::transition`, which keeps the busy and idle lists in step.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_clock.hpp"
#include "caf/message.hpp"
#include "caf/response_promise.hpp"

#include "caf_cluster/detail/send.hpp"

namespace caf_cluster::internal {

using time_point = caf::actor_clock::time_point;

/// Where a queued message stands.
enum class message_state : uint8_t {
  /// May run once it is at the head of its queue.
  ready,
  /// Persisted, its row on its way into storage: it waits at the head.
  storing,
  /// Settled without running (a duplicate, a failed save): skipped.
  dropped,
};

/// A message for an entity, from a sender or from storage.
struct pending_message {
  caf::message payload;
  caf::response_promise promise;
  time_point deadline = time_point::max(); // the sender's timeout
  // When it was handed to the entity (handler latency; a steady clock even
  // under a test clock: the figure is a measurement, not a decision).
  std::chrono::steady_clock::time_point started;
  detail::delivery meta; // the send's identity, kept when it moves on
  message_state state = message_state::ready;
  bool may_reroute = false; // see detail::entity_send::may_reroute
  bool answered = false;    // the sender got its answer (errc::timeout)
  // Persisted messages only: the stored row's id, when this runner took it
  // on (cluster clock) and the shard's lease epoch then (it fences writes).
  bool persisted = false;
  bool recovered = false; // from storage, without a sender
  int64_t request_id = 0;
  int64_t claimed_ms = 0;
  int64_t epoch = 0;

  /// Whether this message still has to run. Volatile messages whose sender
  /// gave up are not processed; persisted ones are (they are stored and
  /// would run anyway).
  bool runnable() const noexcept {
    return state != message_state::dropped && (persisted || !answered);
  }
};

/// Where an entity stands.
enum class slot_state : uint8_t {
  /// Nothing to do; resident or not (a passivation candidate).
  idle,
  /// Has messages; the head cannot run yet (its row is being stored) or is
  /// about to.
  waiting,
  /// A new activation of a durable entity gets its stored state.
  loading,
  /// The head message is at the entity.
  running,
  /// The head message replied; its reply (and the entity's state) is being
  /// stored.
  finishing,
};

/// Returns the name of `x`, e.g. `"running"`.
const char* to_string(slot_state x) noexcept;

/// Returns whether an entity may go from `from` to `to`.
bool allowed(slot_state from, slot_state to) noexcept;

struct entity_slot;

/// Links of one intrusive list.
struct list_links {
  entity_slot* prev = nullptr;
  entity_slot* next = nullptr;
  bool linked = false;
};

/// One entity known to the manager. Slots live in an unordered_map, whose
/// nodes never move, so lists can link them by pointer without allocating.
struct entity_slot {
  const std::string* id = nullptr; // the map key
  int32_t shard = 0;               // index in the entity group
  slot_state state = slot_state::idle;
  caf::actor actor;                   // null while not activated
  // The lease epoch of the message at the entity, for its context's fence().
  std::shared_ptr<std::atomic<int64_t>> fence_epoch;
  std::vector<pending_message> queue; // [queue_head] is the head
  size_t queue_head = 0;
  uint64_t activation = 0;  // tells replies of this activation from older ones
  bool retried = false;     // the head bounced off a quit actor once
  uint64_t request_seq = 0; // the awaited answer (unique in its manager)
  time_point idle_since;
  // Persisted messages of this entity wait in storage, not in the queue (it
  // was full): it reads them in id order as it gets room, and new ones wait
  // behind them.
  bool holding = false;
  bool filling = false;   // such a read is under way
  uint64_t hold_seq = 0;  // sends left in storage (a read sees earlier ones)
  uint64_t fill_seq = 0;  // the awaited read (unique in its manager)
  list_links idle_links; // in the idle list while idle
  list_links busy_links; // in the busy list while not idle

  /// Returns the number of messages queued or running.
  size_t queued() const noexcept {
    return queue.size() - queue_head;
  }

  /// Returns the head message.
  pending_message& head() {
    return queue[queue_head];
  }

  /// Returns whether the entity has messages.
  bool busy() const noexcept {
    return state != slot_state::idle;
  }

  /// Returns whether the head message is at the entity or finishing.
  bool running() const noexcept {
    return state == slot_state::running || state == slot_state::finishing;
  }
};

/// An intrusive list of slots through one of their `list_links` members: no
/// allocation per entity, O(1) insert and erase.
class slot_list {
public:
  explicit slot_list(list_links entity_slot::*links) : links_(links) {
    // nop
  }

  void push_back(entity_slot* x) noexcept;

  void erase(entity_slot* x) noexcept;

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

} // namespace caf_cluster::internal
