# Storage conformance suites (label `storage`): one suite, every backend.
add_executable(storage_tests
  storage/errc.test.cpp
  storage/message_driver.test.cpp
  storage/message_driver_state.test.cpp
  storage/postgres_credentials.test.cpp
  storage/postgres_faults.test.cpp
  storage/postgres_races.test.cpp
  storage/postgres_transact.test.cpp
  storage/message_retention.test.cpp
  storage/runner_driver.test.cpp
  storage/sqlite_file_safety.test.cpp
  storage/sqlite_message_driver.test.cpp
  storage/sqlite_runner_driver.test.cpp
  storage/string_list_codec.test.cpp)
target_include_directories(storage_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(storage_tests
  PRIVATE caf_cluster_doctest_main caf_cluster::storage
  # The SQLite-only tests inspect and tamper with the file directly, the
  # PostgreSQL tests make and drop schemas and cut connections.
  SQLiteCpp PQXX::pqxx)
caf_cluster_target_defaults(storage_tests)
# The PostgreSQL fault tests stop and start servers of their own.
target_compile_definitions(storage_tests PRIVATE
  CAF_CLUSTER_POSTGRES_SCRIPT="${PROJECT_SOURCE_DIR}/scripts/postgres-server.sh")

caf_cluster_discover_tests(storage_tests PROPERTIES
  LABELS storage
  FIXTURES_REQUIRED postgres
  ENVIRONMENT CAF_CLUSTER_TEST_POSTGRES_DIR=${CAF_CLUSTER_TEST_POSTGRES_DIR})
