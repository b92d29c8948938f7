#include "caf_cluster/storage/internal/postgres_schema.hpp"

#include <cstdint>
#include <utility>

#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/internal/postgres_transaction.hpp"

namespace caf_cluster::storage::internal {

namespace {

struct migration {
  int64_t version;
  const char* name;
  std::vector<const char*> statements;
};

// Released steps never change: a schema written by one release must open
// with every later one. Append a step to change the schema. `@.` stands for
// the cluster's schema.
const std::vector<migration>& migrations() {
  static const std::vector<migration> steps{
    {1,
     "create_tables",
     {"CREATE TABLE @.cluster_meta ("
      " key text PRIMARY KEY,"
      " value text NOT NULL)",
      "CREATE TABLE @.cluster_runners ("
      " address bytea PRIMARY KEY,"
      " machine_id integer NOT NULL CHECK (machine_id BETWEEN 0 AND 1023),"
      " weight integer NOT NULL,"
      " groups bytea NOT NULL,"
      " healthy boolean NOT NULL,"
      " last_heartbeat_ms bigint NOT NULL,"
      " drain_requested boolean NOT NULL DEFAULT false)",
      "CREATE TABLE @.cluster_leases ("
      " shard bytea PRIMARY KEY,"
      " runner bytea NOT NULL,"
      " epoch bigint NOT NULL CHECK (epoch > 0),"
      " expires_at_ms bigint NOT NULL)",
      "CREATE INDEX cluster_leases_by_runner ON @.cluster_leases (runner)",
      // A row per shard ever asked for (epoch 0 until its first grant): the
      // row every grant locks FOR UPDATE and every fenced write FOR SHARE.
      "CREATE TABLE @.cluster_shard_epochs ("
      " shard bytea PRIMARY KEY,"
      " epoch bigint NOT NULL CHECK (epoch >= 0))",
      "CREATE TABLE @.cluster_requests ("
      " request_id bigint PRIMARY KEY,"
      " entity_type bytea NOT NULL,"
      " entity_id bytea NOT NULL,"
      " shard bytea NOT NULL,"
      " tag bytea NOT NULL,"
      " payload bytea NOT NULL,"
      " headers bytea NOT NULL,"
      " primary_key bytea NOT NULL,"
      " deliver_at_ms bigint NOT NULL,"
      " processed boolean NOT NULL DEFAULT false,"
      " claimed_at_ms bigint,"
      " processed_at_ms bigint NOT NULL DEFAULT 0)",
      "CREATE UNIQUE INDEX cluster_requests_by_key"
      " ON @.cluster_requests (primary_key, entity_type, entity_id)",
      // Claims, resets and counts read only unprocessed rows, a small part
      // of the table once it has a history.
      "CREATE INDEX cluster_requests_pending"
      " ON @.cluster_requests (shard, request_id) WHERE NOT processed",
      "CREATE INDEX cluster_requests_pending_by_entity"
      " ON @.cluster_requests (entity_type, entity_id, request_id)"
      " WHERE NOT processed",
      // Retention deletes the oldest processed rows first.
      "CREATE INDEX cluster_requests_processed"
      " ON @.cluster_requests (processed_at_ms, request_id) WHERE processed",
      "CREATE TABLE @.cluster_replies ("
      " request_id bigint PRIMARY KEY,"
      " ok boolean NOT NULL,"
      " payload bytea NOT NULL)",
      "CREATE TABLE @.cluster_entity_states ("
      " entity_type bytea NOT NULL,"
      " entity_id bytea NOT NULL,"
      " payload bytea NOT NULL,"
      " PRIMARY KEY (entity_type, entity_id))"}},
  };
  return steps;
}

std::string with_schema(const std::string& text, const std::string& schema) {
  std::string result;
  result.reserve(text.size() + 64);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '@' && i + 1 < text.size() && text[i + 1] == '.')
      result += schema;
    else
      result += text[i];
  }
  return result;
}

// `shard = ANY (SHARDS($n))` reads a hex_array parameter as bytea values.
std::string expand(std::string text, const std::string& schema) {
  const std::string macro = "SHARDS(";
  for (auto i = text.find(macro); i != std::string::npos;
       i = text.find(macro, i)) {
    auto close = text.find(')', i);
    auto param = text.substr(i + macro.size(), close - i - macro.size());
    auto replacement = "ARRAY(SELECT decode(h, 'hex') FROM unnest(" + param
                       + "::text[]) AS h)";
    text.replace(i, close - i + 1, replacement);
    i += replacement.size();
  }
  return with_schema(text, schema);
}

} // namespace

std::string hex_array(const std::vector<std::string>& xs) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string result = "{";
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i > 0)
      result += ',';
    result += '"';
    for (char c : xs[i]) {
      auto u = static_cast<unsigned char>(c);
      result += digits[u >> 4];
      result += digits[u & 0x0F];
    }
    result += '"';
  }
  return result + "}";
}

caf::error migrate_postgres_schema(postgres_pool& pool, bool create_missing) {
  const auto& schema = pool.schema();
  const auto& name = pool.location().schema;
  if (!create_missing)
    return run_postgres(
      pool, "read the schema version of " + name, false,
      [&](pqxx::transaction_base& tx, const postgres_attempt&) -> caf::error {
        auto latest = migrations().back().version;
        auto found = tx.exec_params(
          "SELECT 1 FROM pg_tables WHERE schemaname = $1"
          " AND tablename = 'cluster_schema_history'",
          name);
        int64_t current = 0;
        if (!found.empty())
          current = tx.exec(with_schema("SELECT COALESCE(max(version), 0)"
                                        " FROM @.cluster_schema_history",
                                        schema))[0][0]
                      .as<int64_t>();
        if (current == latest)
          return caf::none;
        return caf::make_error(
          errc::open_failed,
          "schema " + name + " on PostgreSQL at " + pool.name()
            + (current == 0 ? std::string{" has no cluster tables"}
                            : " has version " + std::to_string(current)
                                + ", this release needs "
                                + std::to_string(latest)));
      });
  return run_postgres(
    pool, "migrate schema " + name, true,
    [&](pqxx::transaction_base& tx, const postgres_attempt&) -> caf::error {
      // Two keys: a constant of ours and the schema, so that clusters in
      // other schemas of the database migrate independently.
      tx.exec_params("SELECT pg_advisory_xact_lock(1667327340, hashtext($1))",
                     name);
      if (tx.exec_params("SELECT 1 FROM pg_namespace WHERE nspname = $1", name)
            .empty())
        tx.exec("CREATE SCHEMA " + schema);
      tx.exec(with_schema("CREATE TABLE IF NOT EXISTS @.cluster_schema_history ("
                          " version bigint PRIMARY KEY,"
                          " name text NOT NULL,"
                          " applied_at timestamptz NOT NULL DEFAULT now())",
                          schema));
      auto row = tx.exec(
        with_schema("SELECT COALESCE(max(version), 0)"
                    " FROM @.cluster_schema_history",
                    schema))[0];
      auto current = row[0].as<int64_t>();
      const auto& steps = migrations();
      if (current > steps.back().version)
        return caf::make_error(
          errc::open_failed,
          "schema " + name + " on PostgreSQL at " + pool.name()
            + " has version " + std::to_string(current)
            + ", newer than this release knows ("
            + std::to_string(steps.back().version) + ")");
      for (const auto& step : steps) {
        if (step.version <= current)
          continue;
        for (auto statement : step.statements)
          tx.exec(with_schema(statement, schema));
        tx.exec_params(with_schema("INSERT INTO @.cluster_schema_history"
                                   " (version, name) VALUES ($1, $2)",
                                   schema),
                       step.version, std::string{step.name});
      }
      return caf::none;
    });
}

void prepare_postgres_statements(pqxx::connection& conn,
                                 const std::string& schema) {
  static const std::vector<std::pair<const char*, const char*>> statements{
    // -- runner storage --
    {"rs_meta_get", "SELECT value FROM @.cluster_meta WHERE key = $1"},
    {"rs_meta_put",
     "INSERT INTO @.cluster_meta (key, value) VALUES ($1, $2)"
     " ON CONFLICT (key) DO NOTHING"},
    {"rs_runners",
     "SELECT address, machine_id, weight, groups, healthy, last_heartbeat_ms,"
     " drain_requested FROM @.cluster_runners ORDER BY address"},
    {"rs_lock_runner",
     "SELECT address, machine_id, weight, groups, healthy, last_heartbeat_ms,"
     " drain_requested FROM @.cluster_runners WHERE address = $1 FOR UPDATE"},
    {"rs_delete_runner_with_id",
     "DELETE FROM @.cluster_runners WHERE machine_id = $1 AND address <> $2"},
    {"rs_upsert_runner",
     "INSERT INTO @.cluster_runners (address, machine_id, weight, groups,"
     " healthy, last_heartbeat_ms) VALUES ($1, $2, $3, $4, $5, $6)"
     " ON CONFLICT (address) DO UPDATE SET machine_id = excluded.machine_id,"
     " weight = excluded.weight, groups = excluded.groups,"
     " healthy = excluded.healthy,"
     " last_heartbeat_ms = excluded.last_heartbeat_ms,"
     " drain_requested = false"},
    {"rs_delete_runner", "DELETE FROM @.cluster_runners WHERE address = $1"},
    {"rs_update_health",
     "UPDATE @.cluster_runners SET healthy = $1 WHERE address = $2"},
    {"rs_update_drain",
     "UPDATE @.cluster_runners SET drain_requested = true WHERE address = $1"},
    {"rs_update_heartbeat",
     "UPDATE @.cluster_runners SET last_heartbeat_ms = $1 WHERE address = $2"},
    // Sorted, so that grants racing for overlapping shards lock in one order.
    {"rs_add_epochs",
     "INSERT INTO @.cluster_shard_epochs (shard, epoch)"
     " SELECT s, 0 FROM unnest(SHARDS($1)) AS s ORDER BY s"
     " ON CONFLICT (shard) DO NOTHING"},
    {"rs_lock_epochs",
     "SELECT shard, epoch FROM @.cluster_shard_epochs"
     " WHERE shard = ANY (SHARDS($1)) ORDER BY shard FOR UPDATE"},
    {"rs_lock_leases",
     "SELECT shard, runner, epoch, expires_at_ms FROM @.cluster_leases"
     " WHERE shard = ANY (SHARDS($1)) ORDER BY shard FOR UPDATE"},
    {"rs_set_epoch",
     "UPDATE @.cluster_shard_epochs SET epoch = $2 WHERE shard = $1"},
    {"rs_put_lease",
     "INSERT INTO @.cluster_leases (shard, runner, epoch, expires_at_ms)"
     " VALUES ($1, $2, $3, $4) ON CONFLICT (shard) DO UPDATE SET"
     " runner = excluded.runner, epoch = excluded.epoch,"
     " expires_at_ms = excluded.expires_at_ms"},
    {"rs_extend_leases",
     "UPDATE @.cluster_leases SET expires_at_ms = $2"
     " WHERE shard = ANY (SHARDS($1))"},
    {"rs_release",
     "DELETE FROM @.cluster_leases WHERE shard = ANY (SHARDS($1))"
     " AND runner = $2"},
    {"rs_release_all", "DELETE FROM @.cluster_leases WHERE runner = $1"},
    {"rs_leases",
     "SELECT shard, runner, epoch, expires_at_ms FROM @.cluster_leases"
     " ORDER BY shard"},
    {"rs_epoch", "SELECT epoch FROM @.cluster_shard_epochs WHERE shard = $1"},
    // -- message storage --
    {"ms_find_key",
     "SELECT request_id FROM @.cluster_requests WHERE primary_key = $1"
     " AND entity_type = $2 AND entity_id = $3"},
    {"ms_insert_request",
     "INSERT INTO @.cluster_requests (request_id, entity_type, entity_id,"
     " shard, tag, payload, headers, primary_key, deliver_at_ms,"
     " claimed_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
     " NULLIF($10::bigint, 0))"
     " ON CONFLICT (primary_key, entity_type, entity_id) DO NOTHING"
     " RETURNING request_id"},
    {"ms_lock_request",
     "SELECT entity_type, entity_id, shard, processed FROM @.cluster_requests"
     " WHERE request_id = $1 FOR UPDATE"},
    {"ms_mark_processed",
     "UPDATE @.cluster_requests SET processed = true, processed_at_ms = $2"
     " WHERE request_id = $1"},
    {"ms_reply", "SELECT ok, payload FROM @.cluster_replies WHERE request_id = $1"},
    {"ms_insert_reply",
     "INSERT INTO @.cluster_replies (request_id, ok, payload)"
     " VALUES ($1, $2, $3)"},
    {"ms_state",
     "SELECT payload FROM @.cluster_entity_states"
     " WHERE entity_type = $1 AND entity_id = $2"},
    {"ms_put_state",
     "INSERT INTO @.cluster_entity_states (entity_type, entity_id, payload)"
     " VALUES ($1, $2, $3) ON CONFLICT (entity_type, entity_id)"
     " DO UPDATE SET payload = excluded.payload"},
    // A grant locks the same row FOR UPDATE: it waits for the fenced write
    // to commit, or the write sees the grant's epoch.
    {"ms_fence_epochs",
     "SELECT shard, epoch FROM @.cluster_shard_epochs"
     " WHERE shard = ANY (SHARDS($1)) ORDER BY shard FOR SHARE"},
    // SKIP LOCKED: two runners claiming at once take different rows.
    {"ms_claim",
     "UPDATE @.cluster_requests SET claimed_at_ms = $2 WHERE request_id IN ("
     "SELECT request_id FROM @.cluster_requests WHERE NOT processed"
     " AND shard = ANY (SHARDS($1)) AND deliver_at_ms <= $2"
     " AND (claimed_at_ms IS NULL OR claimed_at_ms <= $3)"
     " ORDER BY request_id LIMIT $4 FOR UPDATE SKIP LOCKED)"
     " RETURNING request_id, entity_type, entity_id, shard, tag, payload,"
     " headers, primary_key, deliver_at_ms"},
    {"ms_for_entity",
     "SELECT request_id, entity_type, entity_id, shard, tag, payload, headers,"
     " primary_key, deliver_at_ms, claimed_at_ms FROM @.cluster_requests"
     " WHERE NOT processed AND entity_type = $1 AND entity_id = $2"
     " AND deliver_at_ms <= $3 ORDER BY request_id LIMIT $4"},
    {"ms_reset_claims",
     "UPDATE @.cluster_requests SET claimed_at_ms = NULL WHERE NOT processed"
     " AND claimed_at_ms IS NOT NULL AND shard = ANY (SHARDS($1))"},
    {"ms_pending",
     "SELECT shard, entity_type, count(*), min(deliver_at_ms)"
     " FROM @.cluster_requests"
     " WHERE NOT processed GROUP BY shard, entity_type"
     " ORDER BY shard, entity_type"},
    {"ms_states_between",
     "SELECT entity_type, entity_id, payload FROM @.cluster_entity_states"
     " WHERE entity_type >= $1 AND entity_type < $2"
     " ORDER BY entity_type, entity_id LIMIT $3"},
    {"ms_states_from",
     "SELECT entity_type, entity_id, payload FROM @.cluster_entity_states"
     " WHERE entity_type >= $1 ORDER BY entity_type, entity_id LIMIT $2"},
    {"ms_purge_replies",
     "DELETE FROM @.cluster_replies WHERE request_id IN ("
     "SELECT request_id FROM @.cluster_requests"
     " WHERE entity_type = $1 AND entity_id = $2)"},
    {"ms_purge_requests",
     "DELETE FROM @.cluster_requests WHERE entity_type = $1 AND entity_id = $2"},
    // Walks the processed rows oldest first up to the horizon ($3) and
    // stops at the limit ($6): unstamped rows (0) to stamp, and rows whose
    // retention (the rule of their type, else $4; negative: for ever) ended
    // at $5. Numeric arithmetic: a retention near the int64 limit must not
    // overflow. SKIP LOCKED: runners sweeping at once take different rows.
    {"ms_expirable",
     "SELECT q.request_id, q.processed_at_ms FROM @.cluster_requests AS q"
     " LEFT JOIN (SELECT decode(t, 'hex') AS entity_type, ms"
     " FROM unnest($1::text[], $2::bigint[]) AS r(t, ms)) AS x"
     " ON x.entity_type = q.entity_type"
     " WHERE q.processed AND q.processed_at_ms <= $3"
     " AND (q.processed_at_ms = 0 OR (COALESCE(x.ms, $4) >= 0"
     " AND q.processed_at_ms::numeric <= $5::numeric - COALESCE(x.ms, $4)))"
     " ORDER BY q.processed_at_ms, q.request_id LIMIT $6"
     " FOR UPDATE OF q SKIP LOCKED"},
    {"ms_stamp",
     "UPDATE @.cluster_requests SET processed_at_ms = $1"
     " WHERE request_id = ANY ($2::bigint[])"},
    {"ms_expire_replies",
     "DELETE FROM @.cluster_replies WHERE request_id = ANY ($1::bigint[])"},
    {"ms_expire_requests",
     "DELETE FROM @.cluster_requests WHERE request_id = ANY ($1::bigint[])"},
    {"ms_purge_state",
     "DELETE FROM @.cluster_entity_states"
     " WHERE entity_type = $1 AND entity_id = $2"},
  };
  for (const auto& [name, text] : statements)
    conn.prepare(name, expand(text, schema));
}

} // namespace caf_cluster::storage::internal
