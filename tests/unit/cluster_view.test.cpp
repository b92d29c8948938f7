// The JSON of `/api/cluster` from a hand-made reading: liveness and lease
// rules at the reading's instant, the shard map of every group, the backlog,
// singletons and crons, with exact expected values.
#include "caf_cluster/gateway/internal/cluster_view.hpp"

#include <doctest/doctest.h>

using namespace caf_cluster;
using namespace caf_cluster::gateway::internal;
using nlohmann::json;

namespace {

storage::runner_row runner_at(std::string address, int64_t heartbeat,
                              bool drain = false) {
  storage::runner_row row;
  row.address = std::move(address);
  row.groups = {"default"};
  row.last_heartbeat_ms = heartbeat;
  row.drain_requested = drain;
  return row;
}

struct view_fixture {
  cluster_reading reading;
  cluster_view_input in;

  view_fixture() {
    reading.read_at_ms = 100'000;
    reading.has_runner_storage = true;
    reading.runners = {runner_at("b:2", 99'500, true), runner_at("a:1", 99'900),
                       runner_at("c:3", 90'000)};
    reading.runners[2].groups = {"default", "extra"};
    // default:1 held by a:1, default:2 held by draining b:2, default:3
    // expired (c:3 died), default:4 never leased.
    reading.leases = {{"default:1", "a:1", 7, 101'500},
                      {"default:2", "b:2", 3, 101'000},
                      {"default:3", "c:3", 5, 92'000}};
    // The ticks of a cron lie in several shards (one entity per tick): its
    // next tick is the earliest of them.
    reading.pending = std::vector<storage::pending_count>{
      {"default:1", "Counter", 2},
      {"default:2", "Counter", 1},
      {"default:2", "caf_cluster.cron/nightly", 1, 160'000},
      {"default:3", "caf_cluster.cron/nightly", 1, 130'000}};
    in.node = "a:1";
    in.groups = {"default"};
    in.shards_per_group = 4;
    in.lease_ms = 2'000;
    in.max_skew_ms = 10'000;
    in.singletons = {{"caf_cluster.cron/nightly", shard_id{"default", 2}},
                     {"leader", shard_id{"default", 4}},
                     {"caf_cluster.cron/hourly", shard_id{"default", 1}}};
    in.cron_prefix = "caf_cluster.cron/";
    entity_type_metrics counter;
    counter.entity_type = "Counter";
    counter.resident = 3;
    counter.processed = 9;
    in.metrics.entity_types.push_back(counter);
    in.metrics.active_shards = 1;
  }
};

} // namespace

TEST_SUITE("gateway.cluster_view") {

  TEST_CASE_FIXTURE(view_fixture,
                    "runners are sorted and judged at the "
                    "instant of the reading") {
    auto doc = cluster_view(reading, in);
    CHECK(doc["node"] == "a:1");
    CHECK(doc["read_at_ms"] == 100'000);
    CHECK(doc["lease_duration_ms"] == 2'000);
    auto& runners = doc["runners"];
    REQUIRE(runners.size() == 3);
    CHECK(runners[0]["address"] == "a:1");
    CHECK(runners[0]["alive"] == true);
    CHECK(runners[0]["shards"] == 1);
    CHECK(runners[0]["heartbeat_age_ms"] == 100);
    CHECK(runners[1]["address"] == "b:2");
    CHECK(runners[1]["draining"] == true);
    CHECK(runners[1]["shards"] == 1);
    CHECK(runners[2]["address"] == "c:3");
    CHECK(runners[2]["alive"] == false);
    CHECK(runners[2]["shards"] == 0);
  }

  TEST_CASE_FIXTURE(view_fixture,
                    "the shard map lists every shard of every "
                    "group with its owner while the lease "
                    "holds") {
    auto doc = cluster_view(reading, in);
    auto& groups = doc["shard_groups"];
    REQUIRE(groups.size() == 2);
    CHECK(groups[0]["group"] == "default");
    CHECK(groups[1]["group"] == "extra");
    auto& shards = groups[0]["shards"];
    REQUIRE(shards.size() == 4);
    CHECK(shards[0]
          == json{{"shard", "default:1"},
                  {"index", 1},
                  {"epoch", 7},
                  {"owner", "a:1"},
                  {"draining", false}});
    CHECK(shards[1]["owner"] == "b:2");
    CHECK(shards[1]["draining"] == true);
    CHECK(shards[2]["owner"].is_null());
    CHECK(shards[2]["epoch"] == 5);
    CHECK(shards[3]["owner"].is_null());
    CHECK(shards[3]["epoch"] == 0);
    CHECK(groups[1]["shards"].size() == 4);
  }

  TEST_CASE_FIXTURE(view_fixture, "a lease dated too far ahead owns nothing") {
    reading.leases[0].expires_at_ms = 100'000 + 2'000 + 10'001;
    auto doc = cluster_view(reading, in);
    CHECK(doc["shard_groups"][0]["shards"][0]["owner"].is_null());
  }

  TEST_CASE_FIXTURE(view_fixture,
                    "backlog, entity counts, singletons and "
                    "crons") {
    auto doc = cluster_view(reading, in);
    CHECK(doc["backlog"]
          == json{
            {"total", 5},
            {"shards", 3},
            {"per_entity_type",
             {{{"entity_type", "Counter"}, {"pending", 3}},
              {{"entity_type", "caf_cluster.cron/nightly"}, {"pending", 2}}}}});
    CHECK(doc["entity_types"][0]["entity_type"] == "Counter");
    CHECK(doc["entity_types"][0]["resident"] == 3);
    CHECK(doc["active_shards"] == 1);
    CHECK(doc["singletons"]
          == json{
            {{"name", "caf_cluster.cron/nightly"},
             {"shard", "default:2"},
             {"holder", "b:2"}},
            {{"name", "leader"}, {"shard", "default:4"}, {"holder", nullptr}},
            {{"name", "caf_cluster.cron/hourly"},
             {"shard", "default:1"},
             {"holder", "a:1"}}});
    // A cron without stored ticks has no next tick.
    CHECK(doc["crons"]
          == json{{{"name", "hourly"},
                   {"holder", "a:1"},
                   {"pending_ticks", 0},
                   {"next_tick_ms", nullptr}},
                  {{"name", "nightly"},
                   {"holder", "b:2"},
                   {"pending_ticks", 2},
                   {"next_tick_ms", 130'000}}});
  }

  TEST_CASE_FIXTURE(view_fixture,
                    "a cron known only from storage has its next tick") {
    in.singletons.clear();
    reading.pending->push_back({"default:4", "caf_cluster.cron/daily", 1, 0});
    auto doc = cluster_view(reading, in);
    CHECK(doc["crons"]
          == json{{{"name", "daily"},
                   {"holder", nullptr},
                   {"pending_ticks", 1},
                   {"next_tick_ms", 0}},
                  {{"name", "nightly"},
                   {"holder", nullptr},
                   {"pending_ticks", 2},
                   {"next_tick_ms", 130'000}}});
  }

  TEST_CASE_FIXTURE(view_fixture,
                    "without message storage the backlog is "
                    "null") {
    reading.pending.reset();
    auto doc = cluster_view(reading, in);
    CHECK(doc["backlog"].is_null());
    CHECK(doc["crons"][1]["pending_ticks"] == 0);
    CHECK(doc["crons"][1]["next_tick_ms"].is_null());
  }
}
