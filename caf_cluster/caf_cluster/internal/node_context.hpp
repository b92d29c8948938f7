// What every actor of one runner (or client-only node) shares, set up once
// when the node starts: the configuration, the clock, ids, the shard table and
// the registry of entity types. Actors get it as one shared pointer instead of
// copies of its fields, and it holds no actor of the node's, so nothing keeps
// the node alive through it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "caf/fwd.hpp"

#include "caf_cluster/internal/entity_registry.hpp"
#include "caf_cluster/internal/logger.hpp"
#include "caf_cluster/internal/residency.hpp"
#include "caf_cluster/internal/shard_table.hpp"
#include "caf_cluster/internal/storage_health.hpp"
#include "caf_cluster/runner_counters.hpp"
#include "caf_cluster/sharding_config.hpp"
#include "caf_cluster/snowflake_generator.hpp"
#include "caf_cluster/wall_clock.hpp"

namespace caf_cluster::internal {

/// The shared, thread-safe parts of one node.
struct node_context {
  /// A node that owns every shard forever (`own_everything`, a single
  /// runner) or one that leases them, logging into `sink`.
  node_context(caf::actor_system& sys, sharding_config cfg,
               std::shared_ptr<wall_clock> clk, bool own_everything,
               log_sink sink);

  /// Returns the entity group: the first hosted group, the group of entity
  /// types that name none and of singletons.
  const std::string& entity_group() const noexcept {
    return config.shard_groups.front();
  }

  /// Returns `group`, or the entity group for an empty one.
  const std::string& group_or_default(const std::string& group) const noexcept {
    return group.empty() ? entity_group() : group;
  }

  /// Returns the position of `group` ("" = the entity group) in the shard
  /// table, or `shard_table::not_hosted`. A single runner serves every group:
  /// groups it does not list share the entity group's always-serving shards
  /// (all at epoch 0, which fences nothing).
  size_t group_slot(const std::string& group) const noexcept {
    auto g = shards->position(group_or_default(group));
    return g == shard_table::not_hosted && single ? 0 : g;
  }

  /// The actor system.
  caf::actor_system& system;

  /// Whether this is a single runner (it owns every shard forever).
  const bool single;

  /// The validated configuration.
  const sharding_config config;

  /// The cluster's clock (leases, deadlines, scheduled messages).
  const std::shared_ptr<wall_clock> clock;

  /// This node's ids (the machine id is set at registration).
  const std::shared_ptr<snowflake_generator> snowflakes;

  /// A random number of this node for the identity of sends (see
  /// `detail::delivery::origin`).
  const uint64_t origin;

  /// Which shards this node owns.
  const std::shared_ptr<shard_table> shards;

  /// The entity types registered here.
  const std::shared_ptr<entity_registry> registry;

  /// The node's log, at `config.log_level`.
  const std::shared_ptr<logger> log;

  /// Singletons running here now (for metrics).
  const std::shared_ptr<std::atomic<int64_t>> running_singletons;

  /// The entities resident here, against `cluster.max-resident-entities`.
  const std::shared_ptr<residency> residents;

  /// Whether runner storage fails now, and why.
  const std::shared_ptr<storage_health> storage_state;

  /// The node's own counters (storage commits, leases, asks, components).
  const std::shared_ptr<runner_counters> counters;
};

using node_ptr = std::shared_ptr<const node_context>;

} // namespace caf_cluster::internal
