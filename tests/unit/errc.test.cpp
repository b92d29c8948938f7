// The cluster error category: every code of the design exists, renders with
// its name and context, and compares equal to its enum value.
#include <doctest/doctest.h>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"

#include "caf_cluster/errc.hpp"

using caf_cluster::errc;

TEST_SUITE("caf_cluster.errc") {

TEST_CASE("every code has its documented name") {
  struct row {
    errc code;
    const char* name;
  };
  const row rows[] = {
    {errc::entity_not_assigned_to_runner, "entity_not_assigned_to_runner"},
    {errc::malformed_message, "malformed_message"},
    {errc::persistence_error, "persistence_error"},
    {errc::runner_not_registered, "runner_not_registered"},
    {errc::runner_unavailable, "runner_unavailable"},
    {errc::mailbox_full, "mailbox_full"},
    {errc::already_processing_message, "already_processing_message"},
    {errc::shutting_down, "shutting_down"},
    {errc::timeout, "timeout"},
    {errc::invalid_config, "invalid_config"},
    {errc::unknown_entity_type, "unknown_entity_type"},
    {errc::invalid_argument, "invalid_argument"},
    {errc::entity_failed, "entity_failed"},
    {errc::message_too_large, "message_too_large"},
    {errc::forbidden, "forbidden"},
    {errc::nondeterministic_workflow, "nondeterministic_workflow"},
    {errc::workflow_interrupted, "workflow_interrupted"},
    {errc::unsupported, "unsupported"},
  };
  uint8_t expected_value = 1;
  for (auto& r : rows) {
    CHECK(to_string(r.code) == r.name);
    // Codes are part of the wire format: they start at 1 and never move.
    CHECK(static_cast<uint8_t>(r.code) == expected_value++);
  }
}

TEST_CASE("errors carry the cluster category and render with context") {
  caf::actor_system_config cfg;
  caf_cluster::add_error_category(cfg);
  caf::actor_system sys{cfg};
  auto err = caf::make_error(errc::mailbox_full, "Counter/counter-1");
  CHECK(err == errc::mailbox_full);
  CHECK(err != errc::timeout);
  CHECK(err.category() == caf::atom("cluster"));
  CHECK(sys.render(err) == "cluster: mailbox_full (Counter/counter-1)");
  CHECK(sys.render(caf::make_error(errc::timeout))
        == "cluster: timeout");
  CHECK(sys.render(caf::make_error(errc::entity_failed, "A/b", std::string{"boom"}))
        == "cluster: entity_failed (A/b, boom)");
}

} // TEST_SUITE
