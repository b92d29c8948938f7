// The storage a multi-process test gives its cluster: a SQLite file in the
// test's directory by default, a fresh schema on a PostgreSQL server when the
// run asks for one (CAF_CLUSTER_TEST_STORAGE=postgresql). The password of
// that server reaches child processes only through the environment
// (PGPASSWORD) or a password file, never through their command lines.
#pragma once

#include <string>

#include "multiprocess/process.hpp"

namespace caf_cluster::multiprocess {

/// The PostgreSQL server of a test run, as scripts/postgres-server.sh wrote it.
struct postgres_server {
  /// The server's directory (CAF_CLUSTER_TEST_POSTGRES_DIR).
  std::string dir;
  /// `postgresql://USER@HOST:PORT/DB`, without password or options.
  std::string uri;
  /// `dir/password`: the password, for `password-file=`.
  std::string password_file;
  /// The password itself (for checking that it leaks nowhere).
  std::string password;
};

/// Whether this run puts the clusters on PostgreSQL.
bool postgresql_run();

/// The server named by CAF_CLUSTER_TEST_POSTGRES_DIR; throws
/// std::runtime_error saying how to start one when the variable is unset or
/// the directory holds no server.
const postgres_server& test_postgres_server();

/// Appends `option` ("schema=x") to the query of `uri`.
std::string with_option(const std::string& uri, const std::string& option);

/// Runs `sql` on the test server with psql (password through PGPASSWORD);
/// throws std::runtime_error with psql's stderr when it fails.
std::string run_sql(const std::string& sql);

/// The storage of one test's cluster; a PostgreSQL schema is created here
/// and dropped with everything in it at scope exit (declare it after the
/// temp_dir and before the processes using it).
class test_storage {
public:
  /// SQLite `dir/cluster.db`, or a fresh PostgreSQL schema in a PostgreSQL
  /// run (`postgresql` forces one, for tests that need PostgreSQL).
  explicit test_storage(const temp_dir& dir, bool postgresql = postgresql_run());

  ~test_storage();

  test_storage(const test_storage&) = delete;

  test_storage& operator=(const test_storage&) = delete;

  /// The `cluster.storage` URI.
  const std::string& uri() const noexcept {
    return uri_;
  }

  /// The schema in a PostgreSQL run; empty on SQLite.
  const std::string& schema() const noexcept {
    return schema_;
  }

private:
  std::string uri_;
  std::string schema_;
};

} // namespace caf_cluster::multiprocess
