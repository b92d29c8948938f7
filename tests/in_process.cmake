# The unit and deterministic suites, and the storage conformance suite
# (storage.cmake).
add_executable(unit_tests
  unit/cached_reader.test.cpp
  unit/cluster_view.test.cpp
  unit/cron_expression.test.cpp
  unit/dashboard.test.cpp
  unit/entity_types.test.cpp
  unit/errc.test.cpp
  unit/frame_filter.test.cpp
  unit/latency_histogram.test.cpp
  unit/foreign_handles.test.cpp
  unit/frame_fuzz.test.cpp
  unit/http_fuzz.test.cpp
  unit/http_server.test.cpp
  unit/json_codec.test.cpp
  unit/http_tls.test.cpp
  unit/log.test.cpp
  unit/prometheus_text.test.cpp
  unit/metrics_exposition.test.cpp
  unit/hash_ring.test.cpp
  unit/inflight.test.cpp
  unit/message_codec.test.cpp
  unit/shard_hash.test.cpp
  unit/shard_id.test.cpp
  unit/snowflake.test.cpp
  unit/sharding_config.test.cpp
  unit/storage_uri.test.cpp
  unit/time_zone.test.cpp
  unit/version.test.cpp)
target_include_directories(unit_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
# Boost and OpenSSL for the HTTPS client of the gateway's TLS test.
find_package(Boost 1.74 REQUIRED)
target_link_libraries(unit_tests PRIVATE caf_cluster_doctest_main caf_cluster::core
                                         caf_cluster::cron caf_cluster::gateway
                                         Boost::headers OpenSSL::SSL)
target_compile_definitions(unit_tests PRIVATE
  CAF_CLUSTER_MAKE_TEST_CA="${PROJECT_SOURCE_DIR}/scripts/make-test-ca.sh")
caf_cluster_target_defaults(unit_tests)
caf_cluster_discover_tests(unit_tests PROPERTIES LABELS unit)

add_executable(deterministic_tests
  deterministic/test_fixture.cpp
  deterministic/cluster_fixture.cpp
  deterministic/ledger_entity.cpp
  deterministic/gate_entity.cpp
  deterministic/mailbox.test.cpp
  deterministic/persisted.test.cpp
  deterministic/cluster.test.cpp
  deterministic/storage_writer.test.cpp
  deterministic/durable_state.test.cpp
  deterministic/entity_types.test.cpp
  deterministic/probe_entity.cpp
  deterministic/entity_manager.test.cpp
  deterministic/sharding.test.cpp
  deterministic/singleton.test.cpp
  deterministic/cron.test.cpp
  deterministic/retention.test.cpp
  deterministic/hops.test.cpp
  deterministic/lease_hang.test.cpp
  deterministic/log.test.cpp
  deterministic/testing_kit.test.cpp
  deterministic/control.test.cpp
  deterministic/untrusted_storage.test.cpp
  deterministic/shard_groups.test.cpp
  deterministic/runner_metrics.test.cpp
  deterministic/workflow_basics.test.cpp
  deterministic/workflow_fixes.test.cpp)
target_include_directories(deterministic_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(deterministic_tests PRIVATE caf_cluster_doctest_main caf_cluster::core
                                                  caf_cluster::cron caf_cluster::workflow
                                                  caf_cluster::testing SQLiteCpp)
caf_cluster_target_defaults(deterministic_tests)
# The workflow suite (issue 14): Effect's scenarios, crashes, determinism,
# seeded schedules.
target_sources(deterministic_tests PRIVATE
  deterministic/workflow_fixture.cpp
  deterministic/workflow_scenarios.test.cpp
  deterministic/workflow_faults.test.cpp
  deterministic/workflow_determinism.test.cpp
  deterministic/workflow_seeded.test.cpp
  deterministic/workflow_transaction.test.cpp
  deterministic/workflow_http.test.cpp)
target_link_libraries(deterministic_tests PRIVATE caf_cluster::workflow caf_cluster::gateway SQLiteCpp)
caf_cluster_discover_tests(deterministic_tests PROPERTIES LABELS deterministic)

include(storage.cmake)
