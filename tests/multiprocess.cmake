# An outsider's program for the security tests: plain CAF, none of our code
# (see its header comment for its modes).
add_executable(hostile-peer multiprocess/hostile_peer.cpp)
target_link_libraries(hostile-peer PRIVATE CAF::io CAF::core)
caf_cluster_target_defaults(hostile-peer)

# Multi-process tests (label `multiprocess`): real counter-node runners,
# counter-cli clients and cluster-ctl on 127.0.0.1, started and killed by the
# test. The programs' paths come in as compile definitions.
add_executable(multiprocess_tests
  multiprocess/process.cpp
  multiprocess/cluster.cpp
  multiprocess/raw_peer.cpp
  multiprocess/tcp_proxy.cpp
  multiprocess/test_storage.cpp
  multiprocess/two_hosts.cpp
  multiprocess/link_faults.test.cpp
  multiprocess/postgres_credentials.test.cpp
  multiprocess/network_gate.test.cpp
  multiprocess/tls_cluster.test.cpp
  multiprocess/counter_cluster.test.cpp
  multiprocess/persisted_cluster.test.cpp
  multiprocess/bad_input.test.cpp
  multiprocess/services_cluster.test.cpp
  multiprocess/cron_failover.test.cpp
  multiprocess/freeze.cpp
  multiprocess/gateway.test.cpp
  multiprocess/entity_gateway.test.cpp
  multiprocess/http_client.cpp
  multiprocess/gateway_tls.test.cpp
  multiprocess/dashboard.test.cpp
  multiprocess/lease_hang_live.test.cpp
  multiprocess/single_runner.test.cpp
  multiprocess/node_cli.test.cpp
  multiprocess/cluster_ctl.test.cpp
  multiprocess/hostile_peer.test.cpp
  multiprocess/storage_file.test.cpp
  multiprocess/orders_cluster.test.cpp
  multiprocess/workflow_parked_live.test.cpp
  multiprocess/transports.test.cpp)
target_include_directories(multiprocess_tests PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}
  ${PROJECT_SOURCE_DIR}/samples/counter)
target_link_libraries(multiprocess_tests PRIVATE
  caf_cluster_doctest_main counter_sample caf_cluster::core caf_cluster::storage
  caf_cluster::cron
  caf_cluster::workflow
  caf_cluster::testing
  caf_cluster::gateway
  SQLiteCpp)
target_compile_definitions(multiprocess_tests PRIVATE
  CAF_CLUSTER_COUNTER_NODE="$<TARGET_FILE:counter-node>"
  CAF_CLUSTER_COUNTER_CLI="$<TARGET_FILE:counter-cli>"
  CAF_CLUSTER_CLUSTER_CTL="$<TARGET_FILE:cluster-ctl>"
  CAF_CLUSTER_SERVICES_NODE="$<TARGET_FILE:services-node>"
  CAF_CLUSTER_COUNTER_LOCAL="$<TARGET_FILE:counter-local>"
  CAF_CLUSTER_HOSTILE_PEER="$<TARGET_FILE:hostile-peer>"
  CAF_CLUSTER_ORDERS_NODE="$<TARGET_FILE:orders-node>"
  CAF_CLUSTER_ORDERS_CLI="$<TARGET_FILE:orders-cli>"
  CAF_CLUSTER_MAKE_TEST_CA="${PROJECT_SOURCE_DIR}/scripts/make-test-ca.sh")
add_dependencies(multiprocess_tests counter-node counter-cli cluster-ctl services-node
  counter-local hostile-peer orders-node orders-cli)
caf_cluster_target_defaults(multiprocess_tests)
# Every test case bounds its own waits; the timeout only catches a hang.
# run-tests.sh runs the multi-process tests two at a time: a cluster test
# keeps a core busy about a tenth of the time. The suites that assert a bound
# in seconds (failover within 3 s, an answer within 1 s, a lease stopped
# within 50 ms of its bound) run alone.
set(multiprocess_timed_suites "multiprocess.counter_cluster,multiprocess.services_cluster,multiprocess.transports,multiprocess.network_gate,multiprocess.hostile_peer,multiprocess.node_cli,multiprocess.bad_input,multiprocess.lease_hang_live")
# Label `multiprocess`: every suite on SQLite files, except the suites that
# need PostgreSQL.
caf_cluster_discover_suites(multiprocess_tests
  SUITES "*" EXCLUDE "multiprocess.postgres.*"
  SERIAL "${multiprocess_timed_suites}"
  PROPERTIES LABELS multiprocess TIMEOUT 120)
# The same label again for the runner-to-runner transports over WebSocket and
# HTTP (cluster.transport from CAF_CLUSTER_TEST_TRANSPORT, which start_node,
# client_node and with_test_transport pass on; tests/multiprocess/cluster.hpp):
# every suite in which runners and clients send each other messages. Not
# here: `transports` (it runs both itself), `tls` and the link-fault cases
# with TLS on (TLS is refused on these transports), `network_gate` and
# `hostile_peer` (attacks on the socket transport's BASP; `transports` has
# the WebSocket and HTTP ones), and suites about options, files and tools.
set(multiprocess_transport_suites "multiprocess.counter_cluster,multiprocess.persisted_cluster,multiprocess.services_cluster,multiprocess.cron_failover,multiprocess.orders_cluster,multiprocess.link_faults,multiprocess.entity_gateway,multiprocess.dashboard,multiprocess.gateway")
foreach(transport websocket http)
  caf_cluster_discover_suites(multiprocess_tests
    PREFIX "${transport}:"
    SUITES "${multiprocess_transport_suites}"
    CASE_EXCLUDE "*TLS on*"
    SERIAL "${multiprocess_timed_suites}"
    ENVIRONMENT CAF_CLUSTER_TEST_TRANSPORT=${transport}
    PROPERTIES LABELS multiprocess TIMEOUT 120)
endforeach()
# Label `multiprocess-pg`: the suites that matter for storage again, each
# cluster in a schema of its own on the PostgreSQL server of the `postgres`
# fixture (tests/CMakeLists.txt), plus the PostgreSQL-only suites (database
# link cut, credentials). Left out: file paths, CLI parsing, transport-only
# suites, which do not touch the database.
caf_cluster_discover_suites(multiprocess_tests
  PREFIX "pg:"
  SUITES "multiprocess.counter_cluster,multiprocess.persisted_cluster,multiprocess.services_cluster,multiprocess.cron_failover,multiprocess.orders_cluster,multiprocess.cluster_ctl,multiprocess.link_faults,multiprocess.postgres.*"
  SERIAL "${multiprocess_timed_suites}"
  ENVIRONMENT CAF_CLUSTER_TEST_STORAGE=postgresql
              CAF_CLUSTER_TEST_POSTGRES_DIR=${CAF_CLUSTER_TEST_POSTGRES_DIR}
  PROPERTIES LABELS multiprocess-pg FIXTURES_REQUIRED postgres TIMEOUT 180)
