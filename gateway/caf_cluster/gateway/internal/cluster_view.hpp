// The document of `GET /api/cluster`: one reading of storage and this node's
// metrics turned into JSON for the dashboard and for scripts. A pure
// function, so its fields are tested without a cluster.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "caf_cluster/gateway/internal/cluster_reading.hpp"
#include "caf_cluster/metrics.hpp"
#include "caf_cluster/shard_id.hpp"

namespace caf_cluster::gateway::internal {

/// A singleton registered on this node and the shard that places it.
struct singleton_place {
  /// The singleton's name.
  std::string name;
  /// The shard whose lease holder runs it.
  caf_cluster::shard_id shard;
};

/// Everything `cluster_view` describes besides the reading.
struct cluster_view_input {
  /// This node's name: its runner address, or `client-only`.
  std::string node;
  /// Whether this node is client-only.
  bool client_only = false;
  /// This node's shard groups; groups only runners name are added.
  std::vector<std::string> groups;
  /// Shards in each group.
  int32_t shards_per_group = 0;
  /// `cluster.lease-duration` in ms: the liveness window of a heartbeat.
  int64_t lease_ms = 0;
  /// `cluster.max-clock-skew` in ms.
  int64_t max_skew_ms = 0;
  /// This node's metrics.
  metrics_snapshot metrics;
  /// The singletons registered on this node.
  std::vector<singleton_place> singletons;
  /// The prefix of the entity types (and singletons) of cluster crons.
  std::string cron_prefix;
};

/// Returns the JSON document of `/api/cluster` (fields in the README,
/// section "Dashboard").
nlohmann::json cluster_view(const cluster_reading& reading,
                            const cluster_view_input& in);

} // namespace caf_cluster::gateway::internal
