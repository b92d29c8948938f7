// The PostgreSQL server the storage tests run on: started by the CTest
// fixture `postgres_server` (scripts/postgres-server.sh) in the directory
// that CAF_CLUSTER_TEST_POSTGRES_DIR names. Each test gets a schema of its
// own, created by the drivers when they open it and dropped at the end, so
// tests never see each other's rows.
#pragma once

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include <doctest/doctest.h>

#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include "caf_cluster/storage/storage_uri.hpp"

#include "storage/message_rows_io.hpp"

namespace caf_cluster::storage::test {

/// Returns the first line of `path`, failing the test when it is unreadable.
inline std::string first_line_of(const std::string& path) {
  std::ifstream in{path};
  std::string line;
  REQUIRE_MESSAGE(static_cast<bool>(std::getline(in, line)),
                  ("cannot read " + path));
  return line;
}

/// Returns the test server's directory; fails the test (never skips it) when
/// CAF_CLUSTER_TEST_POSTGRES_DIR is not set.
inline std::string postgres_dir() {
  auto dir = std::getenv("CAF_CLUSTER_TEST_POSTGRES_DIR");
  REQUIRE_MESSAGE((dir != nullptr && *dir != '\0'),
                  "CAF_CLUSTER_TEST_POSTGRES_DIR is not set: the PostgreSQL "
                  "cases need a server. Run them through ctest (the fixture "
                  "postgres_server starts one), or start one with "
                  "`scripts/postgres-server.sh start DIR` and set "
                  "CAF_CLUSTER_TEST_POSTGRES_DIR=DIR");
  return dir;
}

/// Returns the test server's location (`DIR/uri`), without options.
inline std::string postgres_base_uri(const std::string& dir = postgres_dir()) {
  return first_line_of(dir + "/uri");
}

/// Returns a libpq connection string for the test server, password included
/// (test code only).
inline std::string postgres_conninfo(const std::string& dir = postgres_dir()) {
  auto uri = parse_storage_uri(postgres_base_uri(dir));
  REQUIRE_MESSAGE(uri, message_of(uri.error()));
  const auto& loc = uri->postgres;
  return "host=" + loc.host + " port=" + std::to_string(loc.port)
         + " dbname=" + loc.database + " user=" + loc.user
         + " password=" + first_line_of(dir + "/password")
         + " connect_timeout=5 options='-c client_min_messages=warning'";
}

/// Returns a schema name no other test uses.
inline std::string unique_schema_name() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return "test_" + std::to_string(::getpid()) + "_"
         + std::to_string(counter++) + "_" + std::to_string(rd() % 100000);
}

/// A schema of the test server for one test, dropped with everything in it
/// when the test ends.
class postgres_schema {
public:
  explicit postgres_schema(std::string options = "")
    : dir_(postgres_dir()), name_(unique_schema_name()),
      options_(std::move(options)) {
    // nop
  }

  ~postgres_schema() {
    try {
      pqxx::connection conn{postgres_conninfo(dir_)};
      pqxx::nontransaction tx{conn};
      tx.exec("DROP SCHEMA IF EXISTS \"" + name_ + "\" CASCADE");
    } catch (...) {
      // The server may be down on purpose; its directory goes at the end.
    }
  }

  postgres_schema(const postgres_schema&) = delete;

  postgres_schema& operator=(const postgres_schema&) = delete;

  /// Returns the schema's name.
  const std::string& name() const noexcept {
    return name_;
  }

  /// Returns the server's directory.
  const std::string& dir() const noexcept {
    return dir_;
  }

  /// Returns the storage location of the schema, the password in a file.
  std::string uri() const {
    return postgres_base_uri(dir_) + "?schema=" + name_ + "&password-file="
           + dir_ + "/password" + options_;
  }

  /// Returns the first column of every row of `sql`, run on a connection of
  /// its own with the schema first on the search path.
  std::vector<std::string> query(const std::string& sql) const {
    pqxx::connection conn{postgres_conninfo(dir_)};
    pqxx::nontransaction tx{conn};
    tx.exec("SET search_path TO \"" + name_ + "\", public");
    std::vector<std::string> result;
    for (const auto& row : tx.exec(sql))
      result.push_back(row[0].is_null() ? "NULL" : row[0].c_str());
    return result;
  }

private:
  std::string dir_;
  std::string name_;
  std::string options_;
};

} // namespace caf_cluster::storage::test
