// The state behind a `sharding` handle: configuration, the registry of entity
// managers, the shard table, the router and shard manager of a clustered
// runner, the snowflake generator and the shutdown flag. Shared by handles;
// entity contexts and clients hold it weakly so no actor keeps it alive.
#pragma once

#include <atomic>
#include <memory>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/internal/shard_table.hpp"
#include "caf_cluster/metrics.hpp"
#include "caf_cluster/runner_options.hpp"
#include "caf_cluster/sharding_config.hpp"
#include "caf_cluster/snowflake_generator.hpp"
#include "caf_cluster/wall_clock.hpp"

namespace caf_cluster::internal {

/// An entity type registered on this runner.
struct registered_entity {
  /// The manager actor of this type.
  caf::actor manager;
  /// Its live counters.
  std::shared_ptr<entity_type_counters> counters;
};

/// Shared state of a sharding service.
struct sharding_state {
  /// A single runner (`opts` empty) serves every shard from the start; a
  /// clustered one serves the shards its shard manager leases.
  sharding_state(caf::actor_system& sys, sharding_config cfg,
                 std::shared_ptr<wall_clock> clk, runner_options opts,
                 uint16_t machine_id);

  /// Initiates a shutdown (idempotent) and stops the cluster actors.
  ~sharding_state();

  /// Returns the actor that serves `entity_type`: its manager, the router
  /// (clustered, type not hosted here), or the refuser that answers with
  /// `unknown_entity_type` or `shutting_down`.
  caf::actor route(const std::string& entity_type) const;

  /// Returns the manager of `entity_type`, or null.
  caf::actor manager(const std::string& entity_type) const;

  /// Returns every entity manager.
  std::vector<caf::actor> managers() const;

  /// Sets the shutdown flag and asks every manager and the shard manager to
  /// stop; returns false if a shutdown was already under way.
  bool begin_shutdown();

  /// Returns whether this runner belongs to a cluster (router present).
  bool clustered() const noexcept {
    return static_cast<bool>(router);
  }

  caf::actor_system& system;
  const sharding_config config;
  std::shared_ptr<wall_clock> clock;
  runner_options options;
  snowflake_generator snowflakes;
  std::atomic<bool> shutting_down{false};
  std::shared_ptr<std::atomic<bool>> refuser_flag;
  caf::actor refuser;

  /// Serving deadlines of the shards of the first group (the group of every
  /// entity type in this release).
  std::shared_ptr<shard_table> shards;

  /// This runner's advertised address; empty for single and client-only.
  std::string address;

  /// Routes messages for shards served elsewhere; null for a single runner.
  caf::actor router;

  /// Holds this runner's leases; null for a single runner.
  caf::actor shard_manager;

  /// Runs this runner's singletons; registered as the manager of
  /// `singleton_entity_type`.
  caf::actor singletons;

  /// Singletons running on this runner now.
  std::shared_ptr<std::atomic<int64_t>> running_singletons
    = std::make_shared<std::atomic<int64_t>>(0);

  /// Group-commits writes to message storage; null without message storage.
  caf::actor writer;

  /// A random number of this node for the identity of sends (see
  /// `delivery::origin`).
  const uint64_t origin;

  mutable std::shared_mutex registry_mutex;
  std::unordered_map<std::string, registered_entity> registry;
  /// Names of the singletons registered here (under `registry_mutex`).
  std::set<std::string> singleton_names;
};

} // namespace caf_cluster::internal
