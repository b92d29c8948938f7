// Opening a SQLite file the way every SQLite backend must (read-write, WAL,
// busy timeout, versioned migrations in one IMMEDIATE transaction) and
// turning SQLiteCpp's exceptions into storage errors at the backend boundary.
// SQLiteCpp appears only here and in the SQLite backends' .cpp files.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/sqlite_options.hpp"

namespace caf_cluster::storage::internal {

/// One step of a backend's schema, applied once and recorded with its
/// version; a released step never changes, later releases append steps.
struct sqlite_migration {
  /// The schema version this step produces: 1, 2, ... without gaps.
  int64_t version;

  /// A short name recorded with the version, e.g. `"create_tables"`.
  std::string name;

  /// The SQL statements of the step, run in order.
  std::vector<std::string> statements;
};

/// Opens the database at `path` for reading and writing (created if
/// missing, readable and writable by the owner only) with WAL, `opts`, and
/// applies the steps of `migrations` that `history_table` does not list yet,
/// all in one `BEGIN IMMEDIATE` transaction so that concurrent openers
/// migrate a file once. With `opts.read_only` it only reads: no creation,
/// no journal mode switch, no migration.
/// @returns the connection; `errc::invalid_argument` for an empty path or a
///          negative busy timeout; `errc::busy` when other connections kept
///          the file locked past the busy timeout; `errc::corrupt` with
///          SQLite's message when the file is damaged or not a database;
///          `errc::foreign_database` naming some of its tables when it holds
///          another application's tables and not `opts.share_file`;
///          `errc::open_failed` with SQLite's message otherwise, also when
///          the file has a schema version newer than the last of
///          `migrations` (read-only: any other version than the last).
caf::expected<std::unique_ptr<SQLite::Database>>
open_sqlite_database(const std::string& path, const sqlite_options& opts,
                     const std::string& history_table,
                     const std::vector<sqlite_migration>& migrations);

/// Converts an exception caught at the backend boundary while doing `what`:
/// SQLite's busy and locked codes become `errc::busy`, corrupt and not a
/// database `errc::corrupt`, everything else `errc::io_error`; the message
/// is `what` followed by the exception's message.
caf::error to_storage_error(const std::exception& ex, const std::string& what);

/// Borrows a cached prepared statement for one use: resets it and clears its
/// bindings on entry, and resets it again on exit so that no read stays open
/// and an exception leaves it reusable (`tryReset` never throws, unlike
/// `reset`).
class statement_scope {
public:
  /// Prepares `stmt` for a fresh use.
  explicit statement_scope(SQLite::Statement& stmt);

  /// Resets the statement.
  ~statement_scope();

  statement_scope(const statement_scope&) = delete;

  statement_scope& operator=(const statement_scope&) = delete;

  /// Returns the borrowed statement.
  SQLite::Statement* operator->() const noexcept {
    return &stmt_;
  }

private:
  SQLite::Statement& stmt_;
};

/// Makes the driver `Impl` (a `Base`) on the database `db` opened for
/// `path`; a statement that fails to prepare becomes `errc::open_failed`.
template <class Base, class Impl>
caf::expected<std::unique_ptr<Base>>
make_sqlite_driver(const std::string& path,
                   caf::expected<std::unique_ptr<SQLite::Database>> db) {
  if (!db)
    return std::move(db.error());
  try {
    return std::unique_ptr<Base>{std::make_unique<Impl>(std::move(*db))};
  } catch (const std::exception& ex) {
    return caf::make_error(errc::open_failed,
                           "cannot open SQLite storage \"" + path
                             + "\": " + ex.what());
  }
}

} // namespace caf_cluster::storage::internal
