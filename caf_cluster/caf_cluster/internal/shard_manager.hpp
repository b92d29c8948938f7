// The shard manager of a clustered runner: it keeps the runner registered
// (its lease refreshes are the heartbeat), computes the shard map from the
// live runners with the hash ring, acquires the shards the ring gives this
// runner, stops and releases the ones it no longer should serve, stops
// serving at once when a lease is lost, and tells the router who owns what.
// It makes blocking storage calls, so it normally runs on a thread of its own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "caf/timespan.hpp"

#include "caf_cluster/internal/shard_table.hpp"
#include "caf_cluster/storage/runner_driver.hpp"
#include "caf_cluster/transport.hpp"
#include "caf_cluster/wall_clock.hpp"

namespace caf_cluster::internal {

struct sharding_state;

/// Everything a shard manager needs.
struct shard_manager_config {
  /// This runner's address; empty on a client-only node (routes only).
  std::string address;
  /// Weight on the hash ring.
  int32_t weight = 1;
  /// Shard groups this runner hosts; the first one is served by entities.
  std::vector<std::string> groups;
  /// Shards per group.
  int32_t shards_per_group = 300;
  /// Lease lifetime after a refresh.
  caf::timespan lease_duration{0};
  /// Period of refreshes and re-assignment (runners).
  caf::timespan refresh_interval{0};
  /// Period of re-reading assignments (client-only nodes).
  caf::timespan assignments_interval{0};
  /// Bound on stopping a shard's entities before its lease is released.
  caf::timespan termination_timeout{0};
  /// Runner storage.
  std::shared_ptr<storage::runner_driver> storage;
  /// The clock of leases.
  std::shared_ptr<wall_clock> clock;
  /// Serving deadlines of the first group's shards.
  std::shared_ptr<shard_table> table;
  /// Receives the shard map; stopped by the shard manager when it left.
  caf::actor router;
  /// The message storage writer; null without message storage. With it, an
  /// acquired shard serves only after its stored messages went to the entity
  /// managers, and every tick hands them due and unanswered ones.
  caf::actor writer;
  /// The singleton manager: told which shards of the first group this
  /// runner holds whenever that changes.
  caf::actor singletons;
  /// See `sharding_config::message_claim_timeout`.
  caf::timespan message_claim_timeout{0};
  /// Closed by the shard manager when it left.
  std::shared_ptr<caf_cluster::transport> transport;
  /// For entity managers and the snowflake machine id.
  std::weak_ptr<sharding_state> sharding;
  /// Run on a thread of its own.
  bool detached = true;
};

/// Spawns a shard manager that has registered already (runners) or needs
/// no registration (client-only nodes).
caf::actor spawn_shard_manager(caf::actor_system& sys,
                               shard_manager_config cfg);

/// Returns the storage key of shard `index` of `group`: `"group:index"`.
std::string shard_key(const std::string& group, int32_t index);

} // namespace caf_cluster::internal
