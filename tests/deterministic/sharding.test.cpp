// The sharding service's API on the deterministic scheduler: routing errors,
// registration rules, shard and snowflake queries, graceful shutdown.
#include <doctest/doctest.h>

#include <chrono>

#include "caf/event_based_actor.hpp"
#include "caf/send.hpp"

#include "caf_cluster/atoms.hpp"

#include "caf_cluster/errc.hpp"
#include "deterministic/probe_fixture.hpp"

using namespace std::chrono_literals;
using caf_cluster::errc;
using caf_cluster::testing::error_of;
using caf_cluster::testing::render;

namespace {

caf_cluster::sharding_config short_termination() {
  caf_cluster::sharding_config cfg;
  cfg.entity_termination_timeout = 3s;
  return cfg;
}

struct service_fixture : caf_cluster::testing::probe_fixture_base {
  service_fixture() : probe_fixture_base(short_termination()) {
    REQUIRE_FALSE(cluster->register_entity(probe::probe_entity, probe::probe_impl));
    run();
  }
};

} // namespace

TEST_SUITE("caf_cluster.sharding") {

TEST_CASE_FIXTURE(service_fixture, "bad ids and unknown types give clear errors") {
  auto client = cluster->make_client(probe::probe_entity);
  auto empty = request(client, "", probe::add{1});
  auto bad_utf8 = request(client, std::string{"\xC3\x28"}, probe::add{1});
  auto other = caf_cluster::entity<probe::probe_actor>("NotRegistered");
  auto unknown = request(cluster->make_client(other), "x", probe::add{1});
  run();
  CHECK(error_of(empty) == errc::invalid_argument);
  CHECK(render(error_of(empty)).find("empty") != std::string::npos);
  CHECK(error_of(bad_utf8) == errc::invalid_argument);
  CHECK(error_of(unknown) == errc::unknown_entity_type);
  CHECK(render(error_of(unknown)).find("NotRegistered") != std::string::npos);
}

TEST_CASE_FIXTURE(service_fixture, "the untyped route delivers and refuses by content") {
  // Gateways only know type names and payloads at run time; a payload the
  // entity's interface lacks comes back as CAF's unexpected_message.
  auto target = cluster->route("Probe");
  std::vector<caf::expected<int64_t>> replies;
  for (auto payload : {caf::make_message(probe::add{2}),
                       caf::make_message(std::string{"hello"})})
    sys.spawn([=, &replies](caf::event_based_actor* self) {
      self
        ->request(target, 10s, caf_cluster::deliver_atom::value,
                  std::string{"Probe"}, std::string{"p-1"}, payload)
        .then([&replies](int64_t x) { replies.emplace_back(x); },
              [&replies](caf::error& err) { replies.emplace_back(std::move(err)); });
    });
  run();
  REQUIRE(replies.size() == 2);
  REQUIRE(replies[0]);
  CHECK(*replies[0] == 2);
  CHECK(replies[1].error() == caf::sec::unexpected_message);
  CHECK(cluster->route("Nope") != target);
}

TEST_CASE_FIXTURE(service_fixture, "registration rules") {
  CHECK(cluster->register_entity(probe::probe_entity, probe::probe_impl)
        == errc::invalid_argument);
  auto unnamed = caf_cluster::entity<probe::probe_actor>("");
  CHECK(cluster->register_entity(unnamed, probe::probe_impl)
        == errc::invalid_argument);
  auto zero_capacity = caf_cluster::entity<probe::probe_actor>("Zero").mailbox_capacity(0);
  CHECK(cluster->register_entity(zero_capacity, probe::probe_impl)
        == errc::invalid_argument);
  // A wrong message type does not compile, e.g.
  //   client.request(self, "p-1", std::string{"hello"});
  // fails with "the entity's interface does not accept this message".
}

TEST_CASE_FIXTURE(service_fixture, "shards, ownership and snowflakes") {
  auto shard = cluster->shard_id("counter-1");
  REQUIRE(shard);
  CHECK(to_string(*shard) == "default:186");
  CHECK(cluster->has_shard_id(*shard));
  CHECK_FALSE(cluster->has_shard_id(caf_cluster::shard_id{"default", 301}));
  CHECK_FALSE(cluster->has_shard_id(caf_cluster::shard_id{"other", 1}));
  CHECK(cluster->shard_id("") == errc::invalid_argument);
  auto a = cluster->next_snowflake();
  auto b = cluster->next_snowflake();
  CHECK(a < b);
  CHECK(a.unix_ms() == clock->now_ms());
  CHECK(cluster->metrics().active_shards == 300);
}

TEST_CASE_FIXTURE(service_fixture, "keep_alive entities are never passivated") {
  auto def = caf_cluster::entity<probe::probe_actor>("Pinned").max_idle(1min).keep_alive();
  REQUIRE_FALSE(cluster->register_entity(def, probe::probe_impl));
  auto client = cluster->make_client(def);
  auto r = request(client, "p-1", probe::add{1});
  run();
  advance(24h);
  CHECK(cluster->metrics().find("Pinned")->resident == 1);
}

TEST_CASE_FIXTURE(service_fixture, "shutdown lets accepted messages finish, then refuses") {
  auto client = cluster->make_client(probe::probe_entity);
  auto warm = request(client, "p-1", probe::add{1});
  run();
  auto in_flight = request(client, "p-1", probe::work{7});
  sched.run_once(); // the requester sends; the manager has not run yet
  cluster->shutdown();
  CHECK(cluster->is_shutdown());
  CHECK_FALSE(cluster->has_shard_id(caf_cluster::shard_id{"default", 1}));
  CHECK(cluster->metrics().active_shards == 0);
  auto late = request(client, "p-2", probe::add{1});
  run();
  REQUIRE(in_flight->has_value());
  CHECK(**in_flight == 7);
  CHECK(error_of(late) == errc::shutting_down);
  CHECK(cluster->metrics().find("Probe")->resident == 0);
  CHECK(cluster->register_entity(
          caf_cluster::entity<probe::probe_actor>("Late"), probe::probe_impl)
        == errc::shutting_down);
}

TEST_CASE_FIXTURE(service_fixture, "shutdown stops a stuck entity after the termination timeout") {
  auto client = cluster->make_client(probe::probe_entity);
  auto stuck = request(client, "p-1", probe::hang{}, 1h);
  auto queued = request(client, "p-1", probe::add{1}, 1h);
  run();
  cluster->shutdown();
  run();
  CHECK_FALSE(stuck->has_value());
  advance(3s);
  CHECK(error_of(stuck) == errc::shutting_down);
  CHECK(error_of(queued) == errc::shutting_down);
  CHECK(cluster->metrics().find("Probe")->resident == 0);
}

} // TEST_SUITE
