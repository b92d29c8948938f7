// The output of cluster-ctl's listings, as text (columns, one row a line,
// the format scripts have parsed since the first release) or as one JSON
// document (`--json`, fields documented in the README). The commands read
// storage; these functions only sort and print.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf_cluster/shard_id.hpp"
#include "caf_cluster/storage/message_driver.hpp"
#include "caf_cluster/storage/runner_driver.hpp"

namespace cluster_ctl {

/// Prints the shard of `entity_id`.
void print_shard_id(const std::string& entity_id,
                    const caf_cluster::shard_id& shard, bool json);

/// Prints `runners` sorted by address with their liveness at `now_ms`.
void print_runners(std::vector<caf_cluster::storage::runner_row> runners,
                   int64_t now_ms, int64_t lease_ms, bool json);

/// Prints `leases` sorted by shard, then the shards each of `runners` holds
/// at `now_ms`.
void print_shards(std::vector<caf_cluster::storage::lease_row> leases,
                  const std::vector<caf_cluster::storage::runner_row>& runners,
                  int64_t now_ms, bool json);

/// Prints the rows and bytes (`-` when unknown) of each table of message
/// storage.
void print_tables(const std::vector<caf_cluster::storage::table_size>& sizes,
                  bool json);

/// Prints the pending messages per shard and entity type, then per type.
void print_pending(std::vector<caf_cluster::storage::pending_count> counts,
                   bool json);

/// Orders shards "group:index" by group, then by numeric index.
bool shard_less(const std::string& x, const std::string& y);

} // namespace cluster_ctl
