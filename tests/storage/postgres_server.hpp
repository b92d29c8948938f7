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
  /// A schema on the fixture's server; `options` are appended to `uri()`
  /// (e.g. `"&pool=2"`).
  explicit postgres_schema(std::string options = "")
    : postgres_schema(postgres_dir(), std::move(options)) {
    // nop
  }

  /// A schema on the server in `dir`.
  postgres_schema(std::string dir, std::string options)
    : dir_(std::move(dir)), name_(unique_schema_name()),
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
    return uri_without_password() + "&password-file=" + dir_ + "/password";
  }

  /// Returns the storage location of the schema without a password source.
  std::string uri_without_password() const {
    return postgres_base_uri(dir_) + "?schema=" + name_ + options_;
  }

  /// Returns the password of the server (test code only).
  std::string password() const {
    return first_line_of(dir_ + "/password");
  }

  /// Runs `sql` on a connection of its own; returns the affected rows.
  size_t execute(const std::string& sql) const {
    pqxx::connection conn{postgres_conninfo(dir_)};
    pqxx::nontransaction tx{conn};
    tx.exec("SET search_path TO \"" + name_ + "\", public");
    return tx.exec(sql).affected_rows();
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

/// A server of the test's own (for tests that stop and start it), made and
/// removed by scripts/postgres-server.sh in a fresh directory.
class private_postgres_server {
public:
  private_postgres_server() {
    static std::atomic<int> counter{0};
    dir_ = "/tmp/caf_cluster_pg_" + std::to_string(::getpid()) + "_"
           + std::to_string(counter++);
    run("stop");
    REQUIRE_MESSAGE(run("start") == 0, ("cannot start a server in " + dir_));
  }

  ~private_postgres_server() {
    run("stop");
  }

  private_postgres_server(const private_postgres_server&) = delete;

  private_postgres_server& operator=(const private_postgres_server&) = delete;

  /// Returns the server's directory.
  const std::string& dir() const noexcept {
    return dir_;
  }

  /// Stops the server, keeping its data (`pg_ctl stop -m fast`).
  void halt() {
    REQUIRE_MESSAGE(run("halt") == 0, ("cannot halt the server in " + dir_));
  }

  /// Starts the halted server again on its port.
  void resume() {
    REQUIRE_MESSAGE(run("resume") == 0, ("cannot resume the server in " + dir_));
  }

private:
  int run(const std::string& cmd) {
    auto line = std::string{"bash '"} + CAF_CLUSTER_POSTGRES_SCRIPT + "' " + cmd
                + " '" + dir_ + "' >/dev/null 2>&1";
    return std::system(line.c_str());
  }

  std::string dir_;
};

} // namespace caf_cluster::storage::test
