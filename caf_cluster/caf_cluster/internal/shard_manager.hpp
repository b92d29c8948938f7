// The shard manager of a clustered runner or client-only node (protocol in
// shard_manager_actor.hpp). It keeps the runner registered (its lease
// refreshes are the heartbeat), computes the shard map from the live runners
// with the hash ring, acquires the shards the ring gives this runner, stops
// and releases the ones it no longer should serve, stops at once what it lost,
// records all of it in the shard table and tells the router who owns what.
// It makes blocking storage calls, so it normally runs on a thread of its own.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "caf/fwd.hpp"

#include "caf_cluster/internal/node_context.hpp"
#include "caf_cluster/internal/recovery_actor.hpp"
#include "caf_cluster/internal/router_actor.hpp"
#include "caf_cluster/internal/shard_manager_actor.hpp"
#include "caf_cluster/internal/singleton_manager_actor.hpp"
#include "caf_cluster/storage/runner_driver.hpp"

namespace caf_cluster::internal {

/// What a shard manager needs besides its node.
struct shard_manager_config {
  /// The node (config, clock, shard table, registry, ids).
  node_ptr node;
  /// This runner's address; empty on a client-only node (routes only).
  std::string address;
  /// Runner storage.
  std::shared_ptr<storage::runner_driver> storage;
  /// Receives the shard map.
  router_actor router;
  /// Hands over the stored messages of acquired shards; null without
  /// message storage (acquired shards then serve at once).
  recovery_actor recovery;
  /// Told when shards start serving (it starts their singletons).
  singleton_manager_actor singletons;
  /// Runs once the runner left the cluster, after the shard manager told
  /// the router to stop (stops the storage writer and the transport, which
  /// replies to peers needed until then).
  std::function<void()> on_left;
  /// Runs once when this runner's row asks it to drain (see
  /// `storage::runner_driver::request_drain`), or when the router stopped
  /// outside a leave; it starts the graceful leave.
  std::function<void()> on_drain_requested;
  /// Run on a thread of its own.
  bool detached = true;
};

/// Spawns a shard manager that has registered already (runners) or needs
/// no registration (client-only nodes).
shard_manager_actor spawn_shard_manager(caf::actor_system& sys,
                                        shard_manager_config cfg);

} // namespace caf_cluster::internal
