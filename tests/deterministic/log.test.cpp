// The runtime's log as an operator reads it, on two runners in one process
// with a capturing sink: joins, shard acquisitions, a failover, a singleton
// start, the level filter, and one line per streak of failed refreshes.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "caf/typed_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "caf_cluster/sharding.hpp"

#include "deterministic/cluster_fixture.hpp"
#include "deterministic/cluster_steps.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::testing;
using namespace caf_cluster::testing::steps;

namespace {

using quiet_actor = caf::typed_actor<caf::replies_to<int64_t>::with<int64_t>>;

cluster_fixture::setup_fn register_quiet() {
  return [](sharding& s, size_t) {
    auto err = s.register_singleton("quiet", [](quiet_actor::pointer) {
      return quiet_actor::behavior_type{[](int64_t x) { return x; }};
    });
    REQUIRE(!err);
  };
}

sharding_config at_level(log_level x) {
  auto cfg = cluster_fixture::default_config();
  cfg.log_level = x;
  return cfg;
}

size_t count_below(const cluster_fixture& f, log_level x) {
  size_t n = 0;
  for (auto& rec : f.logs())
    if (rec.level < x)
      ++n;
  return n;
}

} // namespace

TEST_SUITE("caf_cluster.log") {

TEST_CASE("two runners log the join, their shards, a failover and a singleton") {
  cluster_fixture f{2, at_level(log_level::info), register_quiet()};
  REQUIRE(advance_until(f, [&] { return settled(f); }));
  // Stamped with the node's clock: the first record is runner 0's
  // registration, before the clock moved.
  REQUIRE(!f.logs().empty());
  CHECK_EQ(format_log_line(f.logs().front()),
           "2026-01-01T00:00:00.000Z INFO  [10.0.0.1:4000] membership: "
           "registered (machine id 0)");
  CHECK_EQ(f.log_lines(0, "membership: runner 10.0.0.2:4000 joined").size(),
           1u);
  CHECK_EQ(f.log_lines(0, "INFO  [10.0.0.1:4000] shards: acquired ").size()
             + f.log_lines(1, "INFO  [10.0.0.2:4000] shards: acquired ").size()
             >= 2,
           true);
  CHECK(!f.log_lines(1, "shards: acquired ").empty());
  // Runner 0 held everything alone first, so it handed half over.
  CHECK(!f.log_lines(0, "shards: handing over ")
           .empty());
  auto started = f.log_lines(0, "singleton 'quiet' started").size()
                 + f.log_lines(1, "singleton 'quiet' started").size();
  CHECK_EQ(started, 1u);
  // Runner 1 dies: runner 0 sees its heartbeat expire and takes its shards.
  auto acquired_before = f.log_lines(0, "shards: acquired ").size();
  f.crash(1);
  REQUIRE(advance_until(f, [&] { return settled(f); }));
  CHECK_EQ(f.log_lines(0, "WARN  [10.0.0.1:4000] membership: runner "
                          "10.0.0.2:4000 is dead (heartbeat expired): its "
                          "shards fail over")
             .size(),
           1u);
  CHECK_EQ(f.log_lines(0, "membership: runner 10.0.0.2:4000 left").size(), 0u);
  CHECK_GT(f.log_lines(0, "shards: acquired ").size(), acquired_before);
  CHECK_EQ(f.log_lines(0, "singleton 'quiet' started").size(), started);
  CHECK_EQ(count_below(f, log_level::info), 0u);
}

TEST_CASE("a graceful leave logs its start and end, and the others see it") {
  cluster_fixture f{2, at_level(log_level::info)};
  REQUIRE(advance_until(f, [&] { return settled(f); }));
  f.leave(1);
  REQUIRE(advance_until(f, [&] { return settled(f); }));
  CHECK_EQ(f.log_lines(1, "node: leaving gracefully").size(), 1u);
  CHECK_EQ(f.log_lines(1, "node: left the cluster").size(), 1u);
  CHECK_EQ(f.log_lines(0, "membership: runner 10.0.0.2:4000 left").size(), 1u);
  CHECK_EQ(f.log_lines(0, "is dead").size(), 0u);
}

TEST_CASE("debug lines appear at debug and are filtered out at info") {
  cluster_fixture debug{2, at_level(log_level::debug)};
  REQUIRE(advance_until(debug, [&] { return settled(debug); }));
  CHECK(!debug.log_lines(0, "DEBUG [10.0.0.1:4000] recovery: claimed ").empty());
  CHECK(!debug.log_lines(0, "DEBUG [10.0.0.1:4000] shards: released ")
           .empty());
  CHECK_GT(count_below(debug, log_level::info), 0u);
  cluster_fixture info{2, at_level(log_level::info)};
  REQUIRE(advance_until(info, [&] { return settled(info); }));
  CHECK_EQ(count_below(info, log_level::info), 0u);
  CHECK(info.log_lines(0, "recovery: claimed ").empty());
  CHECK(!info.log_lines(0, "shards: acquired ").empty());
  cluster_fixture off{1, at_level(log_level::off)};
  CHECK(off.logs().empty());
}

TEST_CASE("a streak of failed lease refreshes logs once, its end once") {
  cluster_fixture f{2, at_level(log_level::info)};
  REQUIRE(advance_until(f, [&] { return settled(f); }));
  const std::string failed = "WARN  [10.0.0.2:4000] storage: lease refresh "
                             "failed: ";
  const std::string works = "INFO  [10.0.0.2:4000] storage: lease refresh "
                            "works again after ";
  f.cut_storage(1, true);
  for (int i = 0; i < 30; ++i) // 3 s: six refreshes fail
    f.advance(step);
  CHECK_EQ(f.log_lines(1, failed).size(), 1u);
  CHECK_EQ(f.log_lines(1, works).size(), 0u);
  // Its leases lapsed: it stopped its shards once, not at every tick.
  CHECK_EQ(f.log_lines(1, "shards: leases not refreshed in time: stopped ")
             .size(),
           1u);
  f.cut_storage(1, false);
  for (int i = 0; i < 30; ++i)
    f.advance(step);
  REQUIRE(advance_until(f, [&] { return settled(f); }));
  auto back = f.log_lines(1, works);
  REQUIRE_EQ(back.size(), 1u);
  CHECK_NE(back.front().find("works again after 6 failed attempts"),
           std::string::npos);
  // A new streak is logged again.
  f.cut_storage(1, true);
  for (int i = 0; i < 5; ++i)
    f.advance(step);
  CHECK_EQ(f.log_lines(1, failed).size(), 2u);
  f.cut_storage(1, false);
}

} // TEST_SUITE
