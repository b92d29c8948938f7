// How a SQLite backend runs one driver operation on its connection: one
// caller at a time, writes in a BEGIN IMMEDIATE transaction that commits only
// on success, and SQLiteCpp's exceptions turned into storage errors.
#pragma once

#include <exception>
#include <mutex>
#include <string>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "caf_cluster/storage/internal/sqlite_database.hpp"

namespace caf_cluster::storage::internal {

/// Returns whether an operation that returned `x` succeeded.
inline bool succeeded(const caf::error& x) {
  return !x;
}

/// Returns whether an operation that returned `x` succeeded.
template <class T>
bool succeeded(const caf::expected<T>& x) {
  return static_cast<bool>(x);
}

/// Runs `f` under `mtx` in a BEGIN IMMEDIATE transaction on `db`: concurrent
/// writers (other connections, other processes) queue on the busy timeout
/// instead of failing on a read-to-write upgrade. Commits only if `f`
/// succeeds.
/// @returns the result of `f`, or the storage error for `what` when SQLite
///          throws (nothing is stored then), naming the file.
template <class F>
auto write_transaction(SQLite::Database& db, std::mutex& mtx,
                       const std::string& what, F f) -> decltype(f()) {
  std::lock_guard<std::mutex> guard{mtx};
  try {
    SQLite::Transaction tx{db, SQLite::TransactionBehavior::IMMEDIATE};
    auto result = f();
    if (succeeded(result))
      tx.commit();
    return result;
  } catch (const std::exception& ex) {
    return to_storage_error(ex, what + " in " + db.getFilename());
  }
}

/// Runs `f` under `mtx` outside a transaction: each read is one statement,
/// and SQLite gives a statement a consistent snapshot.
/// @returns the result of `f`, or the storage error for `what` when SQLite
///          throws, naming the file of `db`.
template <class F>
auto read_statement(SQLite::Database& db, std::mutex& mtx,
                    const std::string& what, F f) -> decltype(f()) {
  std::lock_guard<std::mutex> guard{mtx};
  try {
    return f();
  } catch (const std::exception& ex) {
    return to_storage_error(ex, what + " in " + db.getFilename());
  }
}

} // namespace caf_cluster::storage::internal
