#include "multiprocess/test_storage.hpp"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace caf_cluster::multiprocess {

namespace {

std::string read_file_trimmed(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return {};
  std::ostringstream text;
  text << in.rdbuf();
  auto result = text.str();
  while (!result.empty() && (result.back() == '\n' || result.back() == '\r'))
    result.pop_back();
  return result;
}

std::string psql_program() {
  const char* candidates[] = {"/usr/lib/postgresql/15/bin/psql",
                              "/usr/bin/psql"};
  for (auto path : candidates)
    if (::access(path, X_OK) == 0)
      return path;
  throw std::runtime_error("psql not found (Debian package "
                           "postgresql-client-15)");
}

} // namespace

bool postgresql_run() {
  auto value = std::getenv("CAF_CLUSTER_TEST_STORAGE");
  if (value == nullptr || *value == '\0' || std::string{value} == "sqlite")
    return false;
  if (std::string{value} == "postgresql")
    return true;
  throw std::runtime_error(std::string{"CAF_CLUSTER_TEST_STORAGE="} + value
                           + ": expected sqlite or postgresql");
}

const postgres_server& test_postgres_server() {
  // Read once: setenv below must happen before the tests start threads.
  static const postgres_server server = [] {
    const std::string how
      = "; start a server with `bash scripts/postgres-server.sh start DIR` "
        "and set CAF_CLUSTER_TEST_POSTGRES_DIR=DIR (ctest does both through "
        "the postgres_server fixture: ctest -L multiprocess-pg)";
    auto dir = std::getenv("CAF_CLUSTER_TEST_POSTGRES_DIR");
    if (dir == nullptr || *dir == '\0')
      throw std::runtime_error("CAF_CLUSTER_TEST_POSTGRES_DIR is not set" + how);
    postgres_server result;
    result.dir = dir;
    result.uri = read_file_trimmed(result.dir + "/uri");
    result.password_file = result.dir + "/password";
    result.password = read_file_trimmed(result.password_file);
    if (result.uri.empty() || result.password.empty())
      throw std::runtime_error(result.dir + " holds no uri and password" + how);
    // Every child (runners, cluster-ctl, counter-cli, psql) and the
    // in-process client find the password here, never in an argument.
    ::setenv("PGPASSWORD", result.password.c_str(), 1);
    return result;
  }();
  return server;
}

std::string with_option(const std::string& uri, const std::string& option) {
  return uri + (uri.find('?') == std::string::npos ? '?' : '&') + option;
}

std::string run_sql(const std::string& sql) {
  auto& server = test_postgres_server();
  auto res = run(psql_program(),
                 {"-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d",
                  server.uri, "-c", sql},
                 20s);
  if (!res.status || !res.status->exited_with(0))
    throw std::runtime_error("psql -c '" + sql + "': "
                             + (res.status ? res.status->to_string()
                                           : std::string{"hung"})
                             + ": " + res.err);
  return res.out;
}

test_storage::test_storage(const temp_dir& dir, bool postgresql) {
  if (!postgresql) {
    uri_ = "sqlite:" + dir.file("cluster.db");
    return;
  }
  static std::atomic<int> counter{0};
  auto& server = test_postgres_server();
  schema_ = "mp_" + std::to_string(::getpid()) + "_"
            + std::to_string(++counter);
  run_sql("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE; CREATE SCHEMA "
          + schema_);
  uri_ = with_option(server.uri, "schema=" + schema_);
}

test_storage::~test_storage() {
  if (schema_.empty())
    return;
  try {
    run_sql("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
  } catch (const std::exception& ex) {
    // A leftover schema costs disk space in a throw-away server, no more.
    std::cerr << "could not drop schema " << schema_ << ": " << ex.what()
              << std::endl;
  }
}

} // namespace caf_cluster::multiprocess
