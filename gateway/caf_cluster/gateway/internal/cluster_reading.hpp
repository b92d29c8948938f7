// What the dashboard reads from storage in one go: runners, shard leases and
// the persisted backlog, with the instant of the reading, so that every
// judgement (live, held) is made against the time the rows were read.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "caf/expected.hpp"

#include "caf_cluster/storage/message_driver.hpp"
#include "caf_cluster/storage/open_runner_driver.hpp"
#include "caf_cluster/storage/runner_driver.hpp"

namespace caf_cluster::gateway::internal {

/// One reading of cluster storage.
struct cluster_reading {
  /// When the rows were read, in the cluster's clock (ms).
  int64_t read_at_ms = 0;
  /// Whether the node has runner storage (a single runner has none).
  bool has_runner_storage = false;
  /// Every registered runner, dead or alive.
  std::vector<storage::runner_row> runners;
  /// Every lease row, expired ones included.
  std::vector<storage::lease_row> leases;
  /// Unprocessed persisted messages per shard and entity type; none without
  /// message storage.
  std::optional<std::vector<storage::pending_count>> pending;
};

/// Reads `drivers` at `now_ms`; blocks on the database.
/// @returns the reading, or the first storage error.
caf::expected<cluster_reading>
read_cluster(const storage::cluster_storage& drivers, int64_t now_ms);

} // namespace caf_cluster::gateway::internal
