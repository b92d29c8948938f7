// The SQLite runner storage schema: its migrations, which never change once
// released, and the statements the driver prepares once per connection. Kept
// apart from the driver so the schema reads in one place.
#pragma once

#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "caf_cluster/storage/internal/sqlite_database.hpp"

namespace caf_cluster::storage::internal {

/// The table that records the applied runner storage migrations.
constexpr const char* runner_history_table = "cluster_runner_migrations";

/// The `cluster_meta` key of the cluster's shards per group.
constexpr const char* shards_per_group_key = "shards_per_group";

/// Returns the runner storage migrations in version order.
const std::vector<sqlite_migration>& runner_migrations();

/// The prepared statements of one runner storage connection; parameters in
/// the order given. SQLite re-prepares them itself should the schema change
/// underneath.
struct runner_statements {
  /// Prepares every statement on `db`, which must be migrated.
  explicit runner_statements(SQLite::Database& db);

  /// Reads a `cluster_meta` value: (key) -> value.
  SQLite::Statement select_meta;

  /// Stores a `cluster_meta` value: (key, value).
  SQLite::Statement insert_meta;

  /// Reads every runner, sorted by address.
  SQLite::Statement select_runners;

  /// Drops the rows of other runners with a machine id: (id, address).
  SQLite::Statement delete_runner_with_id;

  /// Writes a runner row: (address, machine_id, weight, groups, healthy,
  /// last_heartbeat_ms).
  SQLite::Statement upsert_runner;

  /// Drops a runner row: (address).
  SQLite::Statement delete_runner;

  /// Sets a runner's health flag: (healthy, address).
  SQLite::Statement update_health;

  /// Sets a runner's drain flag: (address); changes no row for an unknown
  /// address.
  SQLite::Statement update_drain;

  /// Sets a runner's heartbeat: (last_heartbeat_ms, address).
  SQLite::Statement update_heartbeat;

  /// Reads a lease: (shard) -> runner, epoch, expires_at_ms.
  SQLite::Statement select_lease;

  /// Writes a lease: (shard, runner, epoch, expires_at_ms).
  SQLite::Statement upsert_lease;

  /// Moves a lease's expiry: (expires_at_ms, shard).
  SQLite::Statement extend_lease;

  /// Drops a lease if the runner holds it: (shard, runner).
  SQLite::Statement delete_lease;

  /// Drops every lease of a runner: (runner).
  SQLite::Statement delete_leases_of;

  /// Reads every lease, sorted by shard.
  SQLite::Statement select_leases;

  /// Reads the latest epoch of a shard: (shard) -> epoch.
  SQLite::Statement select_epoch;

  /// Writes the latest epoch of a shard: (shard, epoch).
  SQLite::Statement upsert_epoch;
};

} // namespace caf_cluster::storage::internal
