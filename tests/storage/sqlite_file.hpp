// Direct access to a SQLite storage file for the SQLite-only tests, which
// inspect the schema and tamper with rows behind a driver's back.
#pragma once

#include <string>
#include <vector>

#include <memory>

#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "caf/expected.hpp"

#include "caf_cluster/storage/errc.hpp"

#include "storage/runner_rows_io.hpp"

namespace caf_cluster::storage::test {

/// Returns the first column of every row of `sql` on a connection of its own.
inline std::vector<std::string> query(const std::string& path,
                                      const std::string& sql) {
  SQLite::Database db{path, SQLite::OPEN_READONLY};
  SQLite::Statement stmt{db, sql};
  std::vector<std::string> result;
  while (stmt.executeStep())
    result.push_back(stmt.getColumn(0).getString());
  return result;
}

/// Runs `sql` on a connection of its own.
inline void execute(const std::string& path, const std::string& sql) {
  SQLite::Database db{path, SQLite::OPEN_READWRITE};
  db.exec(sql);
}

/// Returns the driver a factory made, failing the test with its error.
template <class Driver>
std::unique_ptr<Driver> opened(caf::expected<std::unique_ptr<Driver>> x) {
  REQUIRE_MESSAGE(x, message_of(x.error()));
  return std::move(*x);
}

/// Returns the message of the `open_failed` error a factory gave.
template <class Driver>
std::string open_failure(caf::expected<std::unique_ptr<Driver>> x) {
  REQUIRE(!x);
  CHECK(x.error() == errc::open_failed);
  return message_of(x.error());
}

} // namespace caf_cluster::storage::test
