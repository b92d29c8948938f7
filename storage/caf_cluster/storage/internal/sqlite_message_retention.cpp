// Statements of the message schema only: retention rules go into a table of
// their own, so that one SELECT finds what is due for every entity type.
#include "caf_cluster/storage/internal/sqlite_message_retention.hpp"

#include <string>
#include <utility>

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include "caf_cluster/storage/internal/message_rules.hpp"
#include "caf_cluster/storage/internal/sqlite_database.hpp"

namespace caf_cluster::storage::internal {

namespace {

// The pages of `table` and its indexes from the dbstat virtual table, or
// -1 when this SQLite was built without it.
int64_t bytes_of(SQLite::Database& db, const std::string& table) {
  try {
    SQLite::Statement stmt{db,
                           "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat"
                           " WHERE name IN (SELECT name FROM sqlite_schema"
                           " WHERE tbl_name = ?)"};
    stmt.bind(1, table);
    return stmt.executeStep() ? stmt.getColumn(0).getInt64() : -1;
  } catch (const SQLite::Exception&) {
    return -1;
  }
}

} // namespace

size_t expire_sqlite_messages(message_statements& st,
                              const retention_table& retention, int64_t now_ms,
                              int64_t default_retention_ms, size_t limit) {
  {
    statement_scope stmt{st.clear_retention_rules};
    stmt->exec();
  }
  for (const auto& [type, ms] : retention.rules()) {
    statement_scope stmt{st.insert_retention_rule};
    stmt->bind(1, type);
    stmt->bind(2, ms);
    stmt->exec();
  }
  std::vector<std::pair<int64_t, int64_t>> rows; // request_id, at
  {
    statement_scope stmt{st.select_expirable};
    stmt->bind(1, retention.horizon());
    stmt->bind(2, default_retention_ms);
    stmt->bind(3, now_ms);
    stmt->bind(4, clamp_limit(limit));
    while (stmt->executeStep())
      rows.emplace_back(stmt->getColumn(0).getInt64(),
                        stmt->getColumn(1).getInt64());
  }
  for (auto [id, at] : rows) {
    if (at == 0) {
      statement_scope stmt{st.stamp_processed};
      stmt->bind(1, now_ms);
      stmt->bind(2, id);
      stmt->exec();
      continue;
    }
    for (auto* s : {&st.delete_reply, &st.delete_request}) {
      statement_scope stmt{*s};
      stmt->bind(1, id);
      stmt->exec();
    }
  }
  return rows.size();
}

std::vector<table_size> sqlite_message_table_sizes(SQLite::Database& db) {
  std::vector<table_size> result;
  for (const char* table :
       {"cluster_entity_states", "cluster_replies", "cluster_requests"}) {
    auto rows = db.execAndGet(std::string{"SELECT COUNT(*) "
                                          "FROM "}
                              + table)
                  .getInt64();
    result.push_back(table_size{table, rows, bytes_of(db, table)});
  }
  return result;
}

} // namespace caf_cluster::storage::internal
