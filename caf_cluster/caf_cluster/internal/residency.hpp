// The cap on entities resident on one runner (`cluster.max-resident-entities`),
// shared by the entity managers of every type. An entity counts from its first
// message until its manager forgets it. A manager that finds the runner full
// passivates its own idle entities first; an entity that still finds no room
// gets no activation (volatile sends are refused, persisted ones wait in
// storage), and its manager asks for a notice once another entity leaves.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "caf/actor_addr.hpp"
#include "caf/atom.hpp"

namespace caf_cluster::internal {

/// Notice to an entity manager: a resident entity left the runner.
using room_atom = caf::atom_constant<caf::atom("cc_room")>;

/// Counts the resident entities of one runner against its cap. Thread-safe.
class residency {
public:
  /// A count capped at `cap` entities; 0 leaves it unbounded.
  explicit residency(int64_t cap) noexcept : cap_(cap) {
    // nop
  }

  /// Returns the cap, 0 if unbounded.
  int64_t cap() const noexcept {
    return cap_;
  }

  /// Returns the number of resident entities.
  int64_t count() const noexcept {
    return count_.load();
  }

  /// Returns whether a manager waits for room.
  bool wanted() const noexcept {
    return has_waiters_.load();
  }

  /// Counts one more entity unless the runner is at its cap.
  /// @returns whether it was counted.
  bool try_enter() noexcept;

  /// Counts one entity less and notifies the waiting managers.
  void leave();

  /// Sends `room_atom` to `manager` once an entity leaves (at once if there
  /// is room now: an entity may have left since the manager found none).
  void notify_on_room(caf::actor_addr manager);

private:
  void notify_waiters();

  const int64_t cap_;
  std::atomic<int64_t> count_{0};
  std::atomic<bool> has_waiters_{false};
  std::mutex mtx_;
  std::vector<caf::actor_addr> waiters_;
};

} // namespace caf_cluster::internal
