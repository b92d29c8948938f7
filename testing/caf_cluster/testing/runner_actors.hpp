// Pausing a simulated runner means giving none of its actors CPU time. These
// helpers name a runner's actors and run the test coordinator while skipping
// a set of them, for the test kit and for fault-injection tests.
#pragma once

#include <cstddef>
#include <vector>

#include "caf/actor_addr.hpp"
#include "caf/scheduler/test_coordinator.hpp"

#include "caf_cluster/sharding.hpp"

namespace caf_cluster::testing {

/// Which actors of a runner `runner_actors` returns.
enum class actor_set {
  /// Every actor of the runner: entities, entity managers, router, shard
  /// manager, storage writer and recovery (a paused process).
  all,
  /// Only the shard manager (a shard manager hung in a storage call).
  shard_manager,
  /// Only the message storage writer (writes waiting in its mailbox).
  storage_writer,
};

/// Appends the ids of `which` actors of runner `runner` to `out`.
void runner_actors(const sharding& runner, actor_set which,
                   std::vector<caf::actor_id>& out);

/// Runs every job of the test coordinator `sched` except those of the actors
/// in `frozen` until no other job is left; returns how many jobs ran.
size_t run_except(caf::scheduler::test_coordinator& sched,
                  const std::vector<caf::actor_id>& frozen);

} // namespace caf_cluster::testing
