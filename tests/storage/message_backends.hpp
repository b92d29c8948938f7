// The message-storage backends the conformance suites run on: memory (a
// message and a runner driver on one store), SQLite (one connection each on
// one database file) and PostgreSQL (a pool each on one schema of the test
// server).
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "caf_cluster/storage/memory_message_driver.hpp"
#include "caf_cluster/storage/memory_runner_driver.hpp"
#include "caf_cluster/storage/postgres_message_driver.hpp"
#include "caf_cluster/storage/postgres_runner_driver.hpp"
#include "caf_cluster/storage/sqlite_message_driver.hpp"
#include "caf_cluster/storage/sqlite_runner_driver.hpp"

#include "storage/postgres_server.hpp"
#include "storage/sqlite_file.hpp"
#include "storage/temp_dir.hpp"

namespace caf_cluster::storage::test {

/// Message and runner drivers on one in-memory store.
struct memory_backend {
  std::shared_ptr<memory_runner_store> store = make_memory_runner_store();

  std::unique_ptr<message_driver> open() {
    return make_memory_message_driver(store);
  }

  std::unique_ptr<runner_driver> runners() {
    return make_memory_runner_driver(store);
  }
};

/// Message and runner drivers (one connection each) on one database file.
struct sqlite_backend {
  test::temp_dir dir;

  std::string path() const {
    return dir.file("cluster.db");
  }

  std::unique_ptr<message_driver> open() {
    return test::opened(make_sqlite_message_driver(path()));
  }

  std::unique_ptr<runner_driver> runners() {
    return test::opened(make_sqlite_runner_driver(path()));
  }
};

/// Message and runner drivers (a connection pool each) on one schema of the
/// test server.
struct postgres_backend {
  test::postgres_schema schema;

  std::unique_ptr<message_driver> open() {
    return test::opened(make_postgres_message_driver(schema.uri()));
  }

  std::unique_ptr<runner_driver> runners() {
    return test::opened(make_postgres_runner_driver(schema.uri()));
  }
};

} // namespace caf_cluster::storage::test

// The names of the backends in doctest's output of templated test cases.
TYPE_TO_STRING_AS("memory", caf_cluster::storage::test::memory_backend);
TYPE_TO_STRING_AS("sqlite", caf_cluster::storage::test::sqlite_backend);
TYPE_TO_STRING_AS("postgresql", caf_cluster::storage::test::postgres_backend);
