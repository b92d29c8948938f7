// Direct access to a SQLite storage file for the SQLite-only tests, which
// inspect the schema and tamper with rows behind a driver's back.
#pragma once

#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

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

} // namespace caf_cluster::storage::test
