// The recovery of stored messages (protocol in recovery_actor.hpp): one actor
// per runner with message storage. When the shard manager acquires shards it
// claims all their unprocessed messages and hands each entity manager its
// rows in one message; on its own timer it claims what came due (scheduled
// messages) or was left behind in the shards that serve here. Rows of types
// not registered here yet wait until they are.
#pragma once

#include "caf/fwd.hpp"

#include "caf_cluster/internal/node_context.hpp"
#include "caf_cluster/internal/recovery_actor.hpp"
#include "caf_cluster/message_storage.hpp"

namespace caf_cluster::internal {

/// What a recovery actor needs besides its node.
struct recovery_config {
  /// The node (config, clock, shard table, registry).
  node_ptr node;
  /// Message storage.
  message_storage storage;
};

/// Spawns a recovery actor.
recovery_actor spawn_recovery(caf::actor_system& sys, recovery_config cfg);

} // namespace caf_cluster::internal
