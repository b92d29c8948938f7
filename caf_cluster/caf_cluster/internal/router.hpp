// The router of a clustered runner or client-only node (protocol in
// router_actor.hpp): it takes sends for shards this runner does not serve,
// finds the owner in the assignment table the shard manager sends it,
// delivers over the transport in batches and retries with back-off while
// shards move, until the sender's deadline. Peers' batches go straight to the
// local managers.
#pragma once

#include <memory>

#include "caf/fwd.hpp"

#include "caf_cluster/internal/node_context.hpp"
#include "caf_cluster/internal/router_actor.hpp"
#include "caf_cluster/internal/shard_manager_actor.hpp"
#include "caf_cluster/transport.hpp"

namespace caf_cluster::internal {

/// What a router needs besides its node.
struct router_config {
  /// The node (config, registry of local managers).
  node_ptr node;
  /// The network to the peers.
  std::shared_ptr<caf_cluster::transport> transport;
};

/// Spawns a router.
router_actor spawn_router(caf::actor_system& sys, router_config cfg);

} // namespace caf_cluster::internal
