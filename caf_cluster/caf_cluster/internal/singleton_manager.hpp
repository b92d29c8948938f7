// The singleton manager (protocol in singleton_manager_actor.hpp): one actor
// per runner that runs the registered singletons whose shard this runner
// serves, as the shard table says. It starts a singleton when its shard
// serves here, stops it (exit, then kill after a grace period) when the shard
// manager stops the shard, kills it once the shard's deadline passes
// unrefreshed (also when the shard manager hangs), restarts a crashed one
// with back-off, and forwards messages addressed to a singleton by name.
#pragma once

#include <memory>

#include "caf/fwd.hpp"

#include "caf_cluster/internal/node_context.hpp"
#include "caf_cluster/internal/router_actor.hpp"
#include "caf_cluster/internal/singleton_manager_actor.hpp"

namespace caf_cluster::internal {

/// What a singleton manager needs besides its node.
struct singleton_manager_config {
  /// The node (config, clock, shard table).
  node_ptr node;
  /// What the manager runs in each shard (read by the shard manager).
  std::shared_ptr<shard_occupancy> occupancy;
  /// Where messages for singletons served elsewhere go; null on a single
  /// runner.
  router_actor router;
};

/// Spawns a singleton manager.
singleton_manager_actor spawn_singleton_manager(caf::actor_system& sys,
                                                singleton_manager_config cfg);

} // namespace caf_cluster::internal
