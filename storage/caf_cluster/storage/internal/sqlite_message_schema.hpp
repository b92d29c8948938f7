// The SQLite message storage schema: its migrations, which never change once
// released, and the statements the driver prepares once per connection. The
// message tables share a file with the runner tables, whose shard epochs
// fence every write made for a shard.
#pragma once

#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "caf_cluster/storage/internal/sqlite_database.hpp"

namespace caf_cluster::storage::internal {

/// The table that records the applied message storage migrations.
constexpr const char* message_history_table = "cluster_message_migrations";

/// Returns the message storage migrations in version order.
const std::vector<sqlite_migration>& message_migrations();

/// Creates the connection's temporary tables of the shards that a claim or a
/// reset names and of the retention rules of an expiry (a variable `IN` list
/// cannot be prepared once).
void create_shard_list_table(SQLite::Database& db);

/// The prepared statements of one message storage connection; parameters in
/// the order given. SQLite re-prepares them itself should the schema change
/// underneath.
struct message_statements {
  /// Prepares every statement on `db`, which must hold the migrated runner
  /// and message tables and the shard list table.
  explicit message_statements(SQLite::Database& db);

  /// Finds a request by key: (entity_type, entity_id, primary_key) ->
  /// request_id.
  SQLite::Statement select_request_id;

  /// Stores a request: (request_id, entity_type, entity_id, shard, tag,
  /// payload, headers, primary_key, deliver_at_ms).
  SQLite::Statement insert_request;

  /// Reads what a reply is checked against: (request_id) -> entity_type,
  /// entity_id, shard, processed.
  SQLite::Statement select_request_owner;

  /// Marks a request processed: (processed_at_ms, request_id).
  SQLite::Statement mark_processed;

  /// Reads a reply: (request_id) -> ok, payload.
  SQLite::Statement select_reply;

  /// Stores a reply: (request_id, ok, payload).
  SQLite::Statement insert_reply;

  /// Reads a durable state: (entity_type, entity_id) -> payload.
  SQLite::Statement select_state;

  /// Writes a durable state: (entity_type, entity_id, payload).
  SQLite::Statement upsert_state;

  /// Reads the latest epoch of a shard from the runner tables: (shard) ->
  /// epoch.
  SQLite::Statement select_epoch;

  /// Empties the shard list.
  SQLite::Statement clear_shard_list;

  /// Adds to the shard list: (shard).
  SQLite::Statement insert_shard_list;

  /// Reads the claimable requests of the listed shards in id order: (now_ms,
  /// claimed at or before, limit) -> request_id, entity_type, entity_id,
  /// shard, tag, payload, headers, primary_key, deliver_at_ms.
  SQLite::Statement select_claimable;

  /// Reads the due unprocessed requests of one entity in id order:
  /// (entity_type, entity_id, now_ms, limit) -> the columns of
  /// `select_claimable`, then claimed_at_ms.
  SQLite::Statement select_for_entity;

  /// Claims a request: (claimed_at_ms, request_id).
  SQLite::Statement update_claim;

  /// Clears the claims of the unprocessed requests of the listed shards.
  SQLite::Statement reset_claims;

  /// Counts the unprocessed requests, sorted: shard, entity_type, count.
  SQLite::Statement count_pending;

  /// Reads durable states of the entity types in a range, sorted: (at or
  /// after, before, limit) -> entity_type, entity_id, payload.
  SQLite::Statement select_states;

  /// Reads the ids of an entity's requests, processed or not:
  /// (entity_type, entity_id) -> request_id.
  SQLite::Statement select_entity_requests;

  /// Deletes a reply: (request_id).
  SQLite::Statement delete_reply;

  /// Deletes a request: (request_id).
  SQLite::Statement delete_request;

  /// Deletes an entity's durable state: (entity_type, entity_id).
  SQLite::Statement delete_state;

  /// Empties the retention rules.
  SQLite::Statement clear_retention_rules;

  /// Adds a retention rule unless its type has one: (entity_type,
  /// retention_ms).
  SQLite::Statement insert_retention_rule;

  /// Reads the processed requests to stamp or delete, oldest first:
  /// (horizon, default retention, now_ms, limit) -> request_id,
  /// processed_at_ms (0: unstamped).
  SQLite::Statement select_expirable;

  /// Stamps a processed request: (processed_at_ms, request_id).
  SQLite::Statement stamp_processed;
};

} // namespace caf_cluster::storage::internal
