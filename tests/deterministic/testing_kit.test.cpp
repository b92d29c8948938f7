// The test kit (caf_cluster::testing) as a user drives it: restarts keep what
// is stored, pauses and storage cuts fail over, time drives passivation, the
// one-entity client round trip, and ids that never repeat across a restart.
#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "caf_cluster/errc.hpp"
#include "caf_cluster/entity_types.hpp"
#include "caf_cluster/testing/test_client.hpp"
#include "caf_cluster/testing/test_cluster.hpp"

#include "deterministic/ledger_entity.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using caf_cluster::testing::test_cluster;

namespace {

caf::error register_ledger(sharding& runner, size_t) {
  return runner.register_entity(testing::ledger_entity(), testing::ledger_impl);
}

test_cluster make_ledgers(size_t runners,
                          sharding_config cfg = test_cluster::default_config()) {
  auto types = [](caf::actor_system_config& sys_cfg) {
    add_entity_types(sys_cfg, testing::ledger_entity());
  };
  return test_cluster(runners, register_ledger, types, std::move(cfg));
}

// An entity id whose shard runner `owner` alone serves now.
std::string id_served_by(const test_cluster& c, size_t owner) {
  for (int i = 0; i < 10'000; ++i) {
    auto id = "e-" + std::to_string(i);
    if (c.servers(id) == std::vector<size_t>{owner})
      return id;
  }
  FAIL("no entity id served by runner " << owner);
  return {};
}

} // namespace

TEST_SUITE("testing.kit") {

TEST_CASE("kill and restart keep persisted messages and durable state") {
  auto c = make_ledgers(1);
  const auto& ledger = testing::ledger_entity();
  REQUIRE(c.ask(0, ledger, "a", int64_t{5}) == 5);
  // Waits in message storage for 10 s.
  c.tell(0, ledger, "a", testing::keyed_add{3, "later"},
         c.clock()->now_ms() + 10'000);
  c.kill(0);
  CHECK(!c.up(0));
  CHECK(c.ask(0, ledger, "a", testing::value_atom::value)
        == caf::make_error(errc::shutting_down));
  c.restart(0);
  REQUIRE(c.up(0));
  CHECK(c.ask(0, ledger, "a", testing::value_atom::value) == 5);
  c.advance(11s);
  CHECK(c.ask(0, ledger, "a", testing::value_atom::value) == 8);
  auto stored = c.message_storage()->load_state(ledger.name(), "a");
  REQUIRE(stored);
  CHECK(stored->has_value());
}

TEST_CASE("a paused runner's shards fail over to another runner") {
  auto c = make_ledgers(2);
  const auto& ledger = testing::ledger_entity();
  auto id = id_served_by(c, 0);
  REQUIRE(c.ask(1, ledger, id, int64_t{4}) == 4);
  c.pause(0);
  CHECK(c.paused(0));
  CHECK(c.advance_until([&] { return c.servers(id) == std::vector<size_t>{1}; }));
  CHECK(c.ask(1, ledger, id, testing::value_atom::value) == 4);
  c.pause(0, false);
  CHECK(!c.paused(0));
}

TEST_CASE("a runner cut from storage loses its shards to another runner") {
  auto c = make_ledgers(2);
  const auto& ledger = testing::ledger_entity();
  auto id = id_served_by(c, 0);
  REQUIRE(c.ask(1, ledger, id, int64_t{6}) == 6);
  c.cut_storage(0);
  CHECK(c.cut(0));
  CHECK(c.advance_until([&] { return c.servers(id) == std::vector<size_t>{1}; }));
  CHECK(c.ask(1, ledger, id, int64_t{1}) == 7);
  c.cut_storage(0, false);
  CHECK(!c.cut(0));
}

TEST_CASE("advancing time passivates an idle entity after max idle") {
  auto cfg = test_cluster::default_config();
  cfg.entity_max_idle = 1min;
  auto c = make_ledgers(1, cfg);
  REQUIRE(c.ask(0, testing::ledger_entity(), "a", int64_t{1}) == 1);
  CHECK(c.runner(0).metrics().resident_entities() == 1);
  c.advance(50s);
  CHECK(c.runner(0).metrics().resident_entities() == 1);
  c.advance(15s);
  CHECK(c.runner(0).metrics().resident_entities() == 0);
  CHECK(c.ask(0, testing::ledger_entity(), "a", testing::value_atom::value) == 1);
}

TEST_CASE("make_test_client round trip") {
  auto ledger = testing::make_test_client(
    testing::ledger_entity(), testing::ledger_impl);
  CHECK(ledger.ask("a", int64_t{2}) == 2);
  CHECK(ledger.ask("a", testing::keyed_add{3, "k"}) == 5);
  ledger.ask("a", testing::keyed_add{3, "k"});
  CHECK(ledger.ask("a", testing::value_atom::value) == 5);
  CHECK(ledger.ask("b", testing::value_atom::value) == 0);
  ledger.restart();
  CHECK(ledger.ask("a", testing::value_atom::value) == 5);
}

TEST_CASE("a failing setup stops the cluster with the runner named") {
  auto setup = [](sharding&, size_t) {
    return caf::make_error(errc::invalid_config, "no entity for you");
  };
  CHECK_THROWS_WITH_AS(test_cluster(1, setup),
                       doctest::Contains("setup of runner 0 failed"),
                       std::runtime_error);
}

TEST_CASE("a restart in the same millisecond never repeats snowflake ids") {
  auto c = make_ledgers(1);
  std::vector<snowflake> before;
  for (int i = 0; i < 5; ++i)
    before.push_back(c.runner(0).next_snowflake());
  auto machine = before.back().machine_id();
  // A kill first: restart's own kill must not be what saves the ids.
  c.kill(0);
  c.restart(0);
  REQUIRE(c.runner(0).next_snowflake().machine_id() == machine);
  for (int i = 0; i < 5; ++i)
    CHECK(c.runner(0).next_snowflake() > before.back());
}

}
