// The SQL transaction a caller's work runs in when it must commit together
// with an entity's durable state (`message_driver::transact_state`): the
// SQLite and the PostgreSQL backends have one. Neither SQLiteCpp nor libpqxx
// is included here: code that calls `database()` includes
// <SQLiteCpp/Database.h> and links SQLiteCpp itself, code that calls
// `postgres()` includes <pqxx/transaction_base> and links libpqxx itself.
#pragma once

#include <stdexcept>

namespace SQLite {
class Database;
} // namespace SQLite

namespace pqxx {
class transaction_base;
} // namespace pqxx

namespace caf_cluster::storage {

/// An open write transaction of the SQLite or PostgreSQL message storage,
/// handed to the work of `message_driver::transact_state`.
///
/// It exists only while the work function runs: do not keep it, nor the
/// database or transaction it gives, after the work returns. The work may
/// read and write its own tables through `database()` (SQLite) or
/// `postgres()` (PostgreSQL), but must neither begin, commit nor roll back a
/// transaction (savepoints, `pqxx::subtransaction`, are fine): the driver
/// commits everything together with the entity's state, or rolls everything
/// back. On PostgreSQL, unqualified table names resolve to the cluster's
/// schema first (then `public`), and the work may run again when the
/// transaction hits a serialization failure or deadlock and is retried, so
/// it should only write through the transaction.
class sql_transaction {
public:
  /// @private Made by the SQLite backend around its open transaction.
  explicit sql_transaction(SQLite::Database& db) noexcept : db_(&db) {
    // nop
  }

  /// @private Made by the PostgreSQL backend around its open transaction.
  explicit sql_transaction(pqxx::transaction_base& tx) noexcept : pg_(&tx) {
    // nop
  }

  sql_transaction(const sql_transaction&) = delete;

  sql_transaction& operator=(const sql_transaction&) = delete;

  /// Returns whether the transaction is SQLite's (`database()` works).
  bool is_sqlite() const noexcept {
    return db_ != nullptr;
  }

  /// Returns whether the transaction is PostgreSQL's (`postgres()` works).
  bool is_postgres() const noexcept {
    return pg_ != nullptr;
  }

  /// Returns the SQLite connection on which the transaction is open.
  /// @throws std::logic_error on another backend (the driver turns it into
  ///         a storage error and rolls back).
  SQLite::Database& database() const {
    if (db_ == nullptr)
      throw std::logic_error("sql_transaction::database(): the message "
                             "storage is not SQLite");
    return *db_;
  }

  /// Returns the open libpqxx transaction (READ COMMITTED).
  /// @throws std::logic_error on another backend (the driver turns it into
  ///         a storage error and rolls back).
  pqxx::transaction_base& postgres() const {
    if (pg_ == nullptr)
      throw std::logic_error("sql_transaction::postgres(): the message "
                             "storage is not PostgreSQL");
    return *pg_;
  }

  /// Runs one statement that returns no rows (`SAVEPOINT x`, `ROLLBACK TO
  /// x`, `RELEASE x`, DDL) on either backend, for code that must not depend
  /// on which one it got.
  /// @throws std::exception (the backend's) when the statement fails.
  void execute(const char* sql) const;

private:
  SQLite::Database* db_ = nullptr;
  pqxx::transaction_base* pg_ = nullptr;
};

} // namespace caf_cluster::storage
