// The state behind a `sharding` handle: configuration, the registry of entity
// managers, the snowflake generator and the shutdown flag. Shared by handles;
// entity contexts and clients hold it weakly so no actor keeps it alive.
#pragma once

#include <atomic>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

#include "caf_cluster/metrics.hpp"
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
  sharding_state(caf::actor_system& sys, sharding_config cfg,
                 std::shared_ptr<wall_clock> clk);

  /// Initiates a shutdown (idempotent).
  ~sharding_state();

  /// Returns the actor that serves `entity_type`: its manager, or the refuser
  /// that answers with `unknown_entity_type` or `shutting_down`.
  caf::actor route(const std::string& entity_type) const;

  /// Sets the shutdown flag and asks every manager to stop; returns false if
  /// a shutdown was already under way.
  bool begin_shutdown();

  caf::actor_system& system;
  const sharding_config config;
  std::shared_ptr<wall_clock> clock;
  snowflake_generator snowflakes;
  std::atomic<bool> shutting_down{false};
  std::shared_ptr<std::atomic<bool>> refuser_flag;
  caf::actor refuser;

  mutable std::shared_mutex registry_mutex;
  std::unordered_map<std::string, registered_entity> registry;
};

} // namespace caf_cluster::internal
