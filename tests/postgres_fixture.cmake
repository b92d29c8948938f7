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
