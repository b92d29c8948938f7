#include "caf_cluster/storage/internal/sqlite_message_schema.hpp"

namespace caf_cluster::storage::internal {

const std::vector<sqlite_migration>& message_migrations() {
  // Released steps never change: a file written by one release must open
  // with every later one. Append a step to change the schema.
  static const std::vector<sqlite_migration> steps{
    {1,
     "create_message_tables",
     {// request_id is the rowid: delivery order is the table order.
      "CREATE TABLE cluster_requests ("
      " request_id INTEGER PRIMARY KEY NOT NULL,"
      " entity_type TEXT NOT NULL,"
      " entity_id TEXT NOT NULL,"
      " shard TEXT NOT NULL,"
      " tag TEXT NOT NULL,"
      " payload BLOB NOT NULL,"
      " headers BLOB NOT NULL,"
      " primary_key TEXT NOT NULL,"
      " deliver_at_ms INTEGER NOT NULL,"
      " processed INTEGER NOT NULL DEFAULT 0 CHECK (processed IN (0, 1)),"
      " claimed_at_ms INTEGER)",
      // The key comes first: default keys are request ids, so new entries
      // land at the end of the index instead of on one page per entity.
      "CREATE UNIQUE INDEX cluster_requests_by_key"
      " ON cluster_requests (primary_key, entity_type, entity_id)",
      // Claims, resets and counts read only unprocessed rows, a small part
      // of the table once it has a history. Requests for at once get new
      // entries at the end of their index; an index on the shard would
      // write a page per shard and batch (4x slower saves at 300 shards).
      "CREATE INDEX cluster_requests_due ON cluster_requests (request_id)"
      " WHERE processed = 0 AND deliver_at_ms = 0",
      "CREATE INDEX cluster_requests_scheduled"
      " ON cluster_requests (deliver_at_ms)"
      " WHERE processed = 0 AND deliver_at_ms <> 0",
      "CREATE TABLE cluster_replies ("
      " request_id INTEGER PRIMARY KEY NOT NULL,"
      " ok INTEGER NOT NULL CHECK (ok IN (0, 1)),"
      " payload BLOB NOT NULL)",
      "CREATE TABLE cluster_entity_states ("
      " entity_type TEXT NOT NULL,"
      " entity_id TEXT NOT NULL,"
      " payload BLOB NOT NULL,"
      " PRIMARY KEY (entity_type, entity_id)) WITHOUT ROWID"}},
    {2,
     "add_processed_at",
     {// 0 for the rows of older files: expiry stamps them first.
      "ALTER TABLE cluster_requests"
      " ADD COLUMN processed_at_ms INTEGER NOT NULL DEFAULT 0",
      // Expiry reads processed rows oldest first and stops at its horizon;
      // unprocessed rows stay out of this index, as their saves would
      // otherwise pay for it.
      "CREATE INDEX cluster_requests_done"
      " ON cluster_requests (processed_at_ms, request_id)"
      " WHERE processed = 1"}},
  };
  return steps;
}

void create_shard_list_table(SQLite::Database& db) {
  db.exec("CREATE TEMP TABLE IF NOT EXISTS cluster_shard_list ("
          " shard TEXT PRIMARY KEY NOT NULL)");
  db.exec("CREATE TEMP TABLE IF NOT EXISTS cluster_retention_rules ("
          " entity_type TEXT PRIMARY KEY NOT NULL,"
          " retention_ms INTEGER NOT NULL)");
}

message_statements::message_statements(SQLite::Database& db)
  : select_request_id(db,
                      "SELECT request_id FROM cluster_requests"
                      " WHERE entity_type = ? AND entity_id = ?"
                      " AND primary_key = ?"),
    insert_request(db,
                   "INSERT INTO cluster_requests (request_id, entity_type,"
                   " entity_id, shard, tag, payload, headers, primary_key,"
                   " deliver_at_ms, claimed_at_ms)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
    select_request_owner(db,
                         "SELECT entity_type, entity_id, shard, processed"
                         " FROM cluster_requests WHERE request_id = ?"),
    mark_processed(db,
                   "UPDATE cluster_requests SET processed = 1,"
                   " processed_at_ms = ? WHERE request_id = ?"),
    select_reply(db,
                 "SELECT ok, payload FROM cluster_replies"
                 " WHERE request_id = ?"),
    insert_reply(db,
                 "INSERT INTO cluster_replies (request_id, ok, payload)"
                 " VALUES (?, ?, ?)"),
    select_state(db,
                 "SELECT payload FROM cluster_entity_states"
                 " WHERE entity_type = ? AND entity_id = ?"),
    upsert_state(db,
                 "INSERT INTO cluster_entity_states (entity_type, entity_id,"
                 " payload) VALUES (?, ?, ?)"
                 " ON CONFLICT (entity_type, entity_id) DO UPDATE SET"
                 " payload = excluded.payload"),
    select_epoch(db, "SELECT epoch FROM cluster_shard_epochs WHERE shard = ?"),
    clear_shard_list(db, "DELETE FROM temp.cluster_shard_list"),
    insert_shard_list(db,
                      "INSERT OR IGNORE INTO temp.cluster_shard_list (shard)"
                      " VALUES (?)"),
    // Each side of a UNION reads one partial index: INDEXED BY keeps the
    // planner from scanning the whole history in request id order, and the
    // WHERE terms repeat the index's terms literally, as SQLite requires.
    select_claimable(
      db,
      "SELECT request_id, entity_type, entity_id, shard, tag,"
      " payload, headers, primary_key, deliver_at_ms"
      " FROM cluster_requests WHERE request_id IN ("
      "SELECT request_id FROM (SELECT request_id"
      " FROM cluster_requests INDEXED BY cluster_requests_due"
      " WHERE processed = 0 AND deliver_at_ms = 0"
      " AND shard IN (SELECT shard FROM temp.cluster_shard_list)"
      " AND (claimed_at_ms IS NULL OR claimed_at_ms <= ?2)"
      " ORDER BY request_id LIMIT ?3)"
      " UNION ALL "
      "SELECT request_id FROM (SELECT request_id"
      " FROM cluster_requests INDEXED BY cluster_requests_scheduled"
      " WHERE processed = 0 AND deliver_at_ms <> 0"
      " AND deliver_at_ms <= ?1"
      " AND shard IN (SELECT shard FROM temp.cluster_shard_list)"
      " AND (claimed_at_ms IS NULL OR claimed_at_ms <= ?2)"
      " ORDER BY request_id LIMIT ?3))"
      " ORDER BY request_id LIMIT ?3"),
    // Only unprocessed rows are read (the two partial indexes): few, even
    // when the table has a long history.
    select_for_entity(
      db,
      "SELECT request_id, entity_type, entity_id, shard, tag,"
      " payload, headers, primary_key, deliver_at_ms, claimed_at_ms"
      " FROM cluster_requests WHERE request_id IN ("
      "SELECT request_id FROM cluster_requests"
      " INDEXED BY cluster_requests_due"
      " WHERE processed = 0 AND deliver_at_ms = 0"
      " AND entity_type = ?1 AND entity_id = ?2"
      " UNION ALL "
      "SELECT request_id FROM cluster_requests"
      " INDEXED BY cluster_requests_scheduled"
      " WHERE processed = 0 AND deliver_at_ms <> 0 AND deliver_at_ms <= ?3"
      " AND entity_type = ?1 AND entity_id = ?2)"
      " ORDER BY request_id LIMIT ?4"),
    update_claim(db,
                 "UPDATE cluster_requests SET claimed_at_ms = ?"
                 " WHERE request_id = ?"),
    reset_claims(db,
                 "UPDATE cluster_requests SET claimed_at_ms = NULL"
                 " WHERE request_id IN ("
                 "SELECT request_id FROM cluster_requests"
                 " INDEXED BY cluster_requests_due"
                 " WHERE processed = 0 AND deliver_at_ms = 0"
                 " AND claimed_at_ms IS NOT NULL"
                 " AND shard IN (SELECT shard FROM temp.cluster_shard_list)"
                 " UNION ALL "
                 "SELECT request_id FROM cluster_requests"
                 " INDEXED BY cluster_requests_scheduled"
                 " WHERE processed = 0 AND deliver_at_ms <> 0"
                 " AND claimed_at_ms IS NOT NULL"
                 " AND shard IN (SELECT shard FROM temp.cluster_shard_list))"),
    count_pending(db,
                  "SELECT shard, entity_type, COUNT(*), MIN(deliver_at_ms)"
                  " FROM ("
                  "SELECT shard, entity_type, deliver_at_ms"
                  " FROM cluster_requests"
                  " INDEXED BY cluster_requests_due"
                  " WHERE processed = 0 AND deliver_at_ms = 0"
                  " UNION ALL "
                  "SELECT shard, entity_type, deliver_at_ms"
                  " FROM cluster_requests"
                  " INDEXED BY cluster_requests_scheduled"
                  " WHERE processed = 0 AND deliver_at_ms <> 0)"
                  " GROUP BY shard, entity_type"
                  " ORDER BY shard, entity_type"),
    // A range of the primary key, so a prefix reads only its own rows.
    select_states(db,
                  "SELECT entity_type, entity_id, payload"
                  " FROM cluster_entity_states"
                  " WHERE entity_type >= ?1 AND entity_type < ?2"
                  " ORDER BY entity_type, entity_id LIMIT ?3"),
    // No index leads from the entity to its requests (the key index leads
    // with the key), so a purge reads the request table once (about 0.1 s
    // for a million rows) and deletes the rows it found by id; purges are
    // rare next to saves, which such an index would slow down.
    select_entity_requests(db,
                           "SELECT request_id FROM cluster_requests"
                           " WHERE entity_type = ? AND entity_id = ?"),
    delete_reply(db, "DELETE FROM cluster_replies WHERE request_id = ?"),
    delete_request(db, "DELETE FROM cluster_requests WHERE request_id = ?"),
    delete_state(db,
                 "DELETE FROM cluster_entity_states"
                 " WHERE entity_type = ? AND entity_id = ?"),
    clear_retention_rules(db, "DELETE FROM temp.cluster_retention_rules"),
    insert_retention_rule(db,
                          "INSERT OR IGNORE INTO temp.cluster_retention_rules"
                          " (entity_type, retention_ms) VALUES (?, ?)"),
    // Walks the processed rows oldest first up to the horizon and stops at
    // the limit; rows of types with a longer retention are skipped in the
    // walk (a cost only for types kept longer than the shortest retention).
    select_expirable(
      db,
      "SELECT r.request_id, r.processed_at_ms"
      " FROM cluster_requests AS r INDEXED BY cluster_requests_done"
      " LEFT JOIN temp.cluster_retention_rules AS x"
      " ON x.entity_type = r.entity_type"
      " WHERE r.processed = 1 AND r.processed_at_ms <= ?1"
      " AND (r.processed_at_ms = 0"
      " OR (COALESCE(x.retention_ms, ?2) >= 0"
      " AND r.processed_at_ms <= ?3 - COALESCE(x.retention_ms, ?2)))"
      " ORDER BY r.processed_at_ms, r.request_id LIMIT ?4"),
    stamp_processed(db,
                    "UPDATE cluster_requests SET processed_at_ms = ?"
                    " WHERE request_id = ?") {
  // nop
}

} // namespace caf_cluster::storage::internal
