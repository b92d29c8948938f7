// The singleton manager: one actor per runner that runs the registered
// singletons whose shard this runner holds. The shard manager tells it which
// shards it holds; it starts a singleton when its shard arrives, stops it
// (exit, then kill after a grace period) before the shard's lease goes back,
// restarts a crashed one with back-off, and forwards messages addressed to a
// singleton by name to its actor.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "caf/actor.hpp"
#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/atom.hpp"
#include "caf/fwd.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/internal/shard_table.hpp"
#include "caf_cluster/wall_clock.hpp"

namespace caf_cluster::internal {

/// Spawns one singleton actor for `manager` (which monitors it).
using singleton_factory = std::function<caf::actor(caf::event_based_actor*)>;

/// Everything a singleton manager needs.
struct singleton_manager_config {
  /// This runner serves every shard (a single runner): singletons start at
  /// registration.
  bool holds_everything = false;
  /// Shard group of singletons (the entity group).
  std::string shard_group = "default";
  /// Shards per group.
  int32_t shards_per_group = 300;
  /// Time a singleton gets to stop before it is killed.
  caf::timespan grace{0};
  /// Serving deadlines of the entity group's shards (the shard manager
  /// extends them with every lease refresh).
  std::shared_ptr<shard_table> shards;
  /// The clock of those deadlines.
  std::shared_ptr<wall_clock> clock;
  /// Period of checking the deadlines; a singleton is killed once its
  /// shard's deadline is this close (before its lease can lapse, also when
  /// the shard manager is stuck in a slow storage call).
  caf::timespan check_interval{0};
  /// Where messages for singletons served elsewhere go; null on a single
  /// runner.
  caf::actor router;
  /// Routing bound for messages sent without a timeout (`tell`).
  caf::timespan send_timeout{0};
  /// Singletons running here now (for metrics).
  std::shared_ptr<std::atomic<int64_t>> running;
};

/// `(add_singleton_atom, name, shard_index, singleton_factory)`: runs a new
/// singleton whenever shard `shard_index` is held here.
using add_singleton_atom = caf::atom_constant<caf::atom("cc_addsgl")>;

/// `(held_atom, std::vector<int32_t>)`: the shards of the entity group this
/// runner holds now (sent by the shard manager when the set changes).
using held_atom = caf::atom_constant<caf::atom("cc_held")>;

/// Timers of a singleton manager: restart a crashed singleton, kill one
/// whose grace period ended, check the shards' deadlines.
using restart_atom = caf::atom_constant<caf::atom("cc_restart")>;
using grace_atom = caf::atom_constant<caf::atom("cc_grace")>;
using check_atom = caf::atom_constant<caf::atom("cc_check")>;

/// Spawns a singleton manager.
caf::actor spawn_singleton_manager(caf::actor_system& sys,
                                   singleton_manager_config cfg);

/// Back-off before restart `n` (1, 2, ...) of a crashed singleton: 200 ms,
/// doubling, at most 30 s.
caf::timespan singleton_backoff(int n);

} // namespace caf_cluster::internal

// Travels only inside the process (a local message to the manager).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(caf_cluster::internal::singleton_factory)
