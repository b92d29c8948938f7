// A runner's own metrics, read from the snapshot after what the test did to
// the cluster: live runners, failovers against hand-overs, shards draining
// while a handler finishes, lease refreshes, storage commits and the
// persisted backlog.
#include <doctest/doctest.h>

#include <chrono>

#include "caf_cluster/shard_id.hpp"

#include "deterministic/cluster_fixture.hpp"
#include "deterministic/cluster_steps.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::testing;
using namespace caf_cluster::testing::steps;

namespace {

int64_t failovers(cluster_fixture& f) {
  int64_t n = 0;
  for (size_t i = 0; i < 3; ++i)
    if (f.up(i))
      n += f.runner(i).metrics().failovers;
  return n;
}

// Every bucket of `h` at most its count, and cumulative.
bool well_formed(const histogram_snapshot& h) {
  for (size_t i = 0; i < h.cumulative.size(); ++i)
    if (h.cumulative[i] > h.count
        || (i > 0 && h.cumulative[i] < h.cumulative[i - 1]))
      return false;
  return true;
}

sharding_config with_long_grace() {
  auto cfg = cluster_fixture::default_config();
  cfg.entity_termination_timeout = 10s;
  cfg.send_timeout = 20s;
  return cfg;
}

} // namespace

TEST_SUITE("deterministic.runner_metrics") {

  TEST_CASE("three settled runners see three live runners and no failover") {
    cluster_fixture f{3};
    REQUIRE(settled(f));
    for (size_t i = 0; i < 3; ++i) {
      auto m = f.runner(i).metrics();
      CHECK(m.live_runners == 3);
      CHECK(m.active_shards == 10);
      CHECK(m.draining_shards == 0);
      CHECK(m.failovers == 0);
      // The first acquisitions found no lease row: no failover either.
      CHECK(m.lease_refresh_latency.count > 0);
      CHECK(well_formed(m.lease_refresh_latency));
    }
  }

  TEST_CASE("a crashed runner's ten shards count as ten failovers") {
    cluster_fixture f{3};
    REQUIRE(settled(f));
    f.crash(1);
    REQUIRE(advance_until(f, [&] {
      return settled(f);
    }));
    CHECK(failovers(f) == 10);
    CHECK(f.runner(0).metrics().live_runners == 2);
    CHECK(f.runner(2).metrics().live_runners == 2);
  }

  TEST_CASE("a graceful leave is a hand-over: no failover") {
    cluster_fixture f{3};
    REQUIRE(settled(f));
    f.leave(0);
    REQUIRE(advance_until(f, [&] {
      return settled(f);
    }));
    CHECK(failovers(f) == 0);
    CHECK(f.runner(1).metrics().live_runners == 2);
    CHECK(f.runner(1).metrics().active_shards
            + f.runner(2).metrics().active_shards
          == 30);
  }

  TEST_CASE("a shard with a running handler drains until it finished") {
    cluster_fixture f{3, with_long_grace()};
    REQUIRE(settled(f));
    auto id = id_served_by(f, 2);
    auto shard = make_shard_id(id, "default", f.config().shards_per_group);
    f.crash(2);
    REQUIRE(advance_until(f, [&] {
      return settled(f);
    }));
    auto interim = f.servers(shard->index).front();
    auto reply = f.send_slow(interim, id, 1500, 20s);
    f.run();
    f.start(2);
    // Runner 2's other shards come back at once; this one waits for its
    // 1.5 s handler, draining on the interim owner meanwhile.
    REQUIRE(advance_until(f, [&] {
      return f.runner(interim).metrics().draining_shards == 1;
    }));
    CHECK(f.servers(shard->index).empty());
    REQUIRE(advance_until(f, [&] {
      auto who = f.servers(shard->index);
      return who.size() == 1 && who.front() == 2;
    }));
    CHECK(f.runner(interim).metrics().draining_shards == 0);
    await_replies(f, {reply});
    // The crash was a failover; the way back a hand-over.
    CHECK(failovers(f) == 10);
  }

  TEST_CASE("a persisted message: one commit for its request, one for its "
            "reply, and a backlog of one in between") {
    cluster_fixture f{3};
    REQUIRE(settled(f));
    auto id = id_served_by(f, 0);
    auto rows_before = f.runner(0).metrics().storage_commit_rows;
    f.hold_writer(0, true);
    auto reply = f.send_ledger(0, id, keyed_add{5, "k1"});
    f.run();
    f.run_writer(0); // commits the request
    f.run();         // the entity replies; the reply waits at the writer
    auto m = f.runner(0).metrics();
    REQUIRE(m.find("Ledger"));
    CHECK(m.find("Ledger")->persisted_pending == 1);
    CHECK(m.storage_commit_rows.count == rows_before.count + 1);
    f.hold_writer(0, false);
    await_replies(f, {reply});
    REQUIRE(reply->has_value());
    m = f.runner(0).metrics();
    CHECK(m.find("Ledger")->persisted_pending == 0);
    CHECK(m.storage_commit_rows.count == rows_before.count + 2);
    CHECK(m.storage_commit_rows.sum == rows_before.sum + 2);
    CHECK(m.storage_commit_rows.cumulative[0]
          == rows_before.cumulative[0] + 2); // one row each: bucket le=1
    CHECK(m.storage_commit_latency.count == m.storage_commit_rows.count);
  }
}
