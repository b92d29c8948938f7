// The SQL transaction a caller's work runs in when it must commit together
// with an entity's durable state (`message_driver::transact_state`): only the
// SQLite backend has one. SQLiteCpp stays out of this header; code that calls
// `database()` includes <SQLiteCpp/Database.h> and links SQLiteCpp itself.
#pragma once

namespace SQLite {
class Database;
} // namespace SQLite

namespace caf_cluster::storage {

/// An open write transaction of the SQLite message storage, handed to the
/// work of `message_driver::transact_state`.
///
/// It exists only while the work function runs: do not keep it, nor the
/// database it gives, after the work returns. The work may read and write
/// its own tables through `database()`, but must neither begin, commit nor
/// roll back a transaction (savepoints are fine): the driver commits
/// everything together with the entity's state, or rolls everything back.
class sql_transaction {
public:
  /// @private Made by the SQLite backend around its open transaction.
  explicit sql_transaction(SQLite::Database& db) noexcept : db_(db) {
    // nop
  }

  sql_transaction(const sql_transaction&) = delete;

  sql_transaction& operator=(const sql_transaction&) = delete;

  /// Returns the connection on which the transaction is open.
  SQLite::Database& database() const noexcept {
    return db_;
  }

private:
  SQLite::Database& db_;
};

} // namespace caf_cluster::storage
