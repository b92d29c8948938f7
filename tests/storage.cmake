# Storage conformance suites (label `storage`): one suite, every backend.
add_executable(storage_tests
  storage/errc.test.cpp
  storage/message_driver.test.cpp
  storage/message_driver_state.test.cpp
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

# A PostgreSQL server for the tests that need one (fixture `postgres`): started
# before them in the build tree and stopped after them, by the project's own
# script. Tests that require the fixture find it through
# CAF_CLUSTER_TEST_POSTGRES_DIR.
set(CAF_CLUSTER_TEST_POSTGRES_DIR ${CMAKE_BINARY_DIR}/postgres)
add_test(NAME postgres_server
         COMMAND bash -c "bash '${PROJECT_SOURCE_DIR}/scripts/postgres-server.sh' stop '${CAF_CLUSTER_TEST_POSTGRES_DIR}' >/dev/null && exec bash '${PROJECT_SOURCE_DIR}/scripts/postgres-server.sh' start '${CAF_CLUSTER_TEST_POSTGRES_DIR}'")
set_tests_properties(postgres_server PROPERTIES
  FIXTURES_SETUP postgres LABELS "storage;postgres" TIMEOUT 120)
add_test(NAME postgres_server_stop
         COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/postgres-server.sh stop
                 ${CAF_CLUSTER_TEST_POSTGRES_DIR})
set_tests_properties(postgres_server_stop PROPERTIES
  FIXTURES_CLEANUP postgres LABELS "storage;postgres" TIMEOUT 120)

doctest_discover_tests(storage_tests PROPERTIES
  LABELS storage
  FIXTURES_REQUIRED postgres
  ENVIRONMENT CAF_CLUSTER_TEST_POSTGRES_DIR=${CAF_CLUSTER_TEST_POSTGRES_DIR})
