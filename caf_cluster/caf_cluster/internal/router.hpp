// The router of a clustered runner: it takes messages for shards that this
// runner does not serve, finds the owner from the shard manager's assignment
// table, delivers over the transport and retries with back-off while shards
// move, until the sender's timeout. It is also the actor peers reach: their
// messages go straight to the local entity manager.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/transport.hpp"

namespace caf_cluster::internal {

struct sharding_state;

/// Everything a router needs.
struct router_config {
  /// This runner's advertised address; empty on a client-only node and until
  /// an `address_atom` message sets it.
  std::string address;
  /// The shard group it routes (the group of every entity type).
  std::string group;
  /// Shards per group.
  int32_t shards_per_group = 300;
  /// First back-off after a failed attempt; doubles up to four times this.
  caf::timespan retry_interval{0};
  /// Routing bound for messages without a timeout.
  caf::timespan send_timeout{0};
  /// The network to the peers.
  std::shared_ptr<caf_cluster::transport> transport;
  /// For local managers and the shard manager (weak: no ownership cycle).
  std::weak_ptr<sharding_state> sharding;
};

/// Spawns a router.
caf::actor spawn_router(caf::actor_system& sys, router_config cfg);

} // namespace caf_cluster::internal
