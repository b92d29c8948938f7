#include "caf_cluster/storage/internal/sqlite_runner_schema.hpp"

namespace caf_cluster::storage::internal {

const std::vector<sqlite_migration>& runner_migrations() {
  // Released steps never change: a file written by one release must open
  // with every later one. Append a step to change the schema.
  static const std::vector<sqlite_migration> steps{
    {1,
     "create_runner_tables",
     {"CREATE TABLE cluster_meta ("
      " key TEXT PRIMARY KEY NOT NULL,"
      " value TEXT NOT NULL)",
      "CREATE TABLE cluster_runners ("
      " address TEXT PRIMARY KEY NOT NULL,"
      " machine_id INTEGER NOT NULL CHECK (machine_id BETWEEN 0 AND 1023),"
      " weight INTEGER NOT NULL,"
      " groups TEXT NOT NULL,"
      " healthy INTEGER NOT NULL CHECK (healthy IN (0, 1)),"
      " last_heartbeat_ms INTEGER NOT NULL)",
      "CREATE TABLE cluster_leases ("
      " shard TEXT PRIMARY KEY NOT NULL,"
      " runner TEXT NOT NULL,"
      " epoch INTEGER NOT NULL CHECK (epoch > 0),"
      " expires_at_ms INTEGER NOT NULL)",
      "CREATE INDEX cluster_leases_by_runner ON cluster_leases (runner)",
      "CREATE TABLE cluster_shard_epochs ("
      " shard TEXT PRIMARY KEY NOT NULL,"
      " epoch INTEGER NOT NULL CHECK (epoch > 0))"}},
    // Files of the first release get the flag cleared on every runner.
    {2,
     "add_drain_requested",
     {"ALTER TABLE cluster_runners ADD COLUMN drain_requested INTEGER"
      " NOT NULL DEFAULT 0 CHECK (drain_requested IN (0, 1))"}},
  };
  return steps;
}

runner_statements::runner_statements(SQLite::Database& db)
  : select_meta(db, "SELECT value FROM cluster_meta WHERE key = ?"),
    insert_meta(db, "INSERT INTO cluster_meta (key, value) VALUES (?, ?)"),
    select_runners(db,
                   "SELECT address, machine_id, weight, groups, healthy,"
                   " last_heartbeat_ms, drain_requested FROM cluster_runners"
                   " ORDER BY address"),
    delete_runner_with_id(db,
                          "DELETE FROM cluster_runners"
                          " WHERE machine_id = ? AND address <> ?"),
    upsert_runner(db,
                  "INSERT INTO cluster_runners (address, machine_id,"
                  " weight, groups, healthy, last_heartbeat_ms)"
                  " VALUES (?, ?, ?, ?, ?, ?)"
                  " ON CONFLICT (address) DO UPDATE SET"
                  " machine_id = excluded.machine_id,"
                  " weight = excluded.weight,"
                  " groups = excluded.groups,"
                  " healthy = excluded.healthy,"
                  " last_heartbeat_ms = excluded.last_heartbeat_ms,"
                  " drain_requested = 0"),
    delete_runner(db, "DELETE FROM cluster_runners WHERE address = ?"),
    update_health(db,
                  "UPDATE cluster_runners SET healthy = ? WHERE address = ?"),
    update_drain(db,
                 "UPDATE cluster_runners SET drain_requested = 1"
                 " WHERE address = ?"),
    update_heartbeat(db,
                     "UPDATE cluster_runners SET last_heartbeat_ms = ?"
                     " WHERE address = ?"),
    select_lease(db,
                 "SELECT runner, epoch, expires_at_ms"
                 " FROM cluster_leases WHERE shard = ?"),
    upsert_lease(db,
                 "INSERT INTO cluster_leases (shard, runner, epoch,"
                 " expires_at_ms) VALUES (?, ?, ?, ?)"
                 " ON CONFLICT (shard) DO UPDATE SET"
                 " runner = excluded.runner, epoch = excluded.epoch,"
                 " expires_at_ms = excluded.expires_at_ms"),
    extend_lease(db,
                 "UPDATE cluster_leases SET expires_at_ms = ?"
                 " WHERE shard = ?"),
    delete_lease(db,
                 "DELETE FROM cluster_leases"
                 " WHERE shard = ? AND runner = ?"),
    delete_leases_of(db, "DELETE FROM cluster_leases WHERE runner = ?"),
    select_leases(db,
                  "SELECT shard, runner, epoch, expires_at_ms"
                  " FROM cluster_leases ORDER BY shard"),
    select_epoch(db,
                 "SELECT epoch FROM cluster_shard_epochs"
                 " WHERE shard = ?"),
    upsert_epoch(db,
                 "INSERT INTO cluster_shard_epochs (shard, epoch)"
                 " VALUES (?, ?) ON CONFLICT (shard) DO UPDATE SET"
                 " epoch = excluded.epoch") {
  // nop
}

} // namespace caf_cluster::storage::internal
