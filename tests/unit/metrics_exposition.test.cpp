// The families of a runner's exposition beyond the per-type message counters:
// their exact text (names, types, units, labels), and the registry through
// which components built on the public API add counters of their own.
#include "caf_cluster/metrics_exposition.hpp"

#include <doctest/doctest.h>

#include <string>

#include "caf_cluster/errc.hpp"
#include "caf_cluster/runner_counters.hpp"

using namespace caf_cluster;

namespace {

// A histogram with one bound, written by hand to keep the expected text short.
histogram_snapshot small_histogram(double bound, uint64_t below, uint64_t count,
                                   double sum) {
  histogram_snapshot h;
  h.bounds = {bound};
  h.cumulative = {below};
  h.count = count;
  h.sum = sum;
  return h;
}

// The text from the line starting `# HELP <first>` to the end.
std::string from_family(const std::string& text, const std::string& first) {
  auto i = text.find("# HELP " + first + " ");
  return i == std::string::npos ? std::string{} : text.substr(i);
}

} // namespace

TEST_SUITE("unit.metrics_exposition") {

  TEST_CASE("backlog, asks, shards, runners, leases, commits and component "
            "counters, exactly") {
    metrics_snapshot m;
    entity_type_metrics counter;
    counter.entity_type = "Counter";
    counter.persisted_pending = 7;
    m.entity_types.push_back(counter);
    m.ask_latency.emplace_back("Counter", small_histogram(0.001, 2, 3, 0.0125));
    m.active_shards = 40;
    m.draining_shards = 5;
    m.singletons = 1;
    m.live_runners = 3;
    m.failovers = 12;
    m.lease_refresh_latency = small_histogram(0.005, 4, 4, 0.002);
    m.storage_commit_latency = small_histogram(0.01, 1, 2, 0.5);
    m.storage_commit_rows = small_histogram(4, 6, 9, 30);
    m.component_counters.push_back(
      {"caf_cluster_cron_ticks_total", "Cron ticks run", {{"cron", "a"}}, 2});
    m.component_counters.push_back(
      {"caf_cluster_cron_ticks_total", "Cron ticks run", {{"cron", "b"}}, 5});
    m.component_counters.push_back(
      {"caf_cluster_cron_ticks_late_total", "Late", {{"cron", "a"}}, 1});
    auto text = prometheus_exposition(m, "r1:4001");
    const std::string r = "runner=\"r1:4001\"";
    const std::string t = r + ",entity_type=\"Counter\"";
    CHECK(
      from_family(text, "caf_cluster_persisted_messages_pending")
      == "# HELP caf_cluster_persisted_messages_pending Persisted messages "
         "queued or running here whose reply is not stored yet\n"
         "# TYPE caf_cluster_persisted_messages_pending gauge\n"
         "caf_cluster_persisted_messages_pending{"
        + t
        + "} 7\n"
          "# HELP caf_cluster_ask_duration_seconds Blocking asks made on "
          "this node, from the send until its reply\n"
          "# TYPE caf_cluster_ask_duration_seconds histogram\n"
          "caf_cluster_ask_duration_seconds_bucket{"
        + t
        + ",le=\"0.001\"} 2\n"
          "caf_cluster_ask_duration_seconds_bucket{"
        + t
        + ",le=\"+Inf\"} 3\n"
          "caf_cluster_ask_duration_seconds_sum{"
        + t
        + "} 0.0125\n"
          "caf_cluster_ask_duration_seconds_count{"
        + t
        + "} 3\n"
          "# HELP caf_cluster_shards_held Shards this runner serves, over "
          "all its shard groups\n"
          "# TYPE caf_cluster_shards_held gauge\n"
          "caf_cluster_shards_held{"
        + r
        + "} 40\n"
          "# HELP caf_cluster_shards_draining Shards this runner is handing "
          "over to other runners\n"
          "# TYPE caf_cluster_shards_draining gauge\n"
          "caf_cluster_shards_draining{"
        + r
        + "} 5\n"
          "# HELP caf_cluster_singletons Singletons running on this runner\n"
          "# TYPE caf_cluster_singletons gauge\n"
          "caf_cluster_singletons{"
        + r
        + "} 1\n"
          "# HELP caf_cluster_live_runners Live runners at this node's last "
          "read of runner storage\n"
          "# TYPE caf_cluster_live_runners gauge\n"
          "caf_cluster_live_runners{"
        + r
        + "} 3\n"
          "# HELP caf_cluster_shard_failovers_total Shards acquired from a "
          "runner whose lease had expired\n"
          "# TYPE caf_cluster_shard_failovers_total counter\n"
          "caf_cluster_shard_failovers_total{"
        + r
        + "} 12\n"
          "# HELP caf_cluster_lease_refresh_duration_seconds Time of one "
          "lease refresh against runner storage\n"
          "# TYPE caf_cluster_lease_refresh_duration_seconds histogram\n"
          "caf_cluster_lease_refresh_duration_seconds_bucket{"
        + r
        + ",le=\"0.005\"} 4\n"
          "caf_cluster_lease_refresh_duration_seconds_bucket{"
        + r
        + ",le=\"+Inf\"} 4\n"
          "caf_cluster_lease_refresh_duration_seconds_sum{"
        + r
        + "} 0.002\n"
          "caf_cluster_lease_refresh_duration_seconds_count{"
        + r
        + "} 4\n"
          "# HELP caf_cluster_storage_commit_duration_seconds Time of one "
          "message storage commit of the storage writer\n"
          "# TYPE caf_cluster_storage_commit_duration_seconds histogram\n"
          "caf_cluster_storage_commit_duration_seconds_bucket{"
        + r
        + ",le=\"0.01\"} 1\n"
          "caf_cluster_storage_commit_duration_seconds_bucket{"
        + r
        + ",le=\"+Inf\"} 2\n"
          "caf_cluster_storage_commit_duration_seconds_sum{"
        + r
        + "} 0.5\n"
          "caf_cluster_storage_commit_duration_seconds_count{"
        + r
        + "} 2\n"
          "# HELP caf_cluster_storage_commit_rows Rows (requests and "
          "replies) per message storage commit\n"
          "# TYPE caf_cluster_storage_commit_rows histogram\n"
          "caf_cluster_storage_commit_rows_bucket{"
        + r
        + ",le=\"4\"} 6\n"
          "caf_cluster_storage_commit_rows_bucket{"
        + r
        + ",le=\"+Inf\"} 9\n"
          "caf_cluster_storage_commit_rows_sum{"
        + r
        + "} 30\n"
          "caf_cluster_storage_commit_rows_count{"
        + r
        + "} 9\n"
          "# HELP caf_cluster_cron_ticks_total Cron ticks run\n"
          "# TYPE caf_cluster_cron_ticks_total counter\n"
          "caf_cluster_cron_ticks_total{"
        + r
        + ",cron=\"a\"} 2\n"
          "caf_cluster_cron_ticks_total{"
        + r
        + ",cron=\"b\"} 5\n"
          "# HELP caf_cluster_cron_ticks_late_total Late\n"
          "# TYPE caf_cluster_cron_ticks_late_total counter\n"
          "caf_cluster_cron_ticks_late_total{"
        + r + ",cron=\"a\"} 1\n");
  }

  TEST_CASE("a count histogram buckets sizes by powers of two up to 1024") {
    count_histogram h;
    for (uint64_t x : {1, 2, 3, 1024, 1025})
      h.observe(x);
    auto s = h.snapshot();
    REQUIRE(s.bounds.size() == 11);
    CHECK(s.cumulative[0] == 1);  // le 1
    CHECK(s.cumulative[1] == 2);  // le 2
    CHECK(s.cumulative[2] == 3);  // le 4
    CHECK(s.cumulative[10] == 4); // le 1024
    CHECK(s.count == 5);
    CHECK(s.sum == 2055.0);
  }

  TEST_CASE("component counters: one per series, sorted, names checked") {
    runner_counters c;
    auto a = c.counter("caf_cluster_cron_ticks_total", "Ticks",
                       {{"cron", "b"}});
    auto b = c.counter("caf_cluster_cron_ticks_total", "Other help",
                       {{"cron", "a"}});
    auto again = c.counter("caf_cluster_cron_ticks_total", "Ticks",
                           {{"cron", "b"}});
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(again);
    CHECK(a->get() == again->get());
    (*a)->fetch_add(3);
    (*b)->fetch_add(1);
    metrics_snapshot m;
    c.fill(m);
    REQUIRE(m.component_counters.size() == 2);
    CHECK(m.component_counters[0].labels == metric_labels{{"cron", "a"}});
    CHECK(m.component_counters[0].help == "Ticks"); // the first call's
    CHECK(m.component_counter("caf_cluster_cron_ticks_total", {{"cron", "a"}})
          == 1);
    CHECK(m.component_counter("caf_cluster_cron_ticks_total", {{"cron", "b"}})
          == 3);
    for (auto bad :
         {"caf_cluster_cron_ticks", "9_total", "caf_cluster_entities",
          "caf_cluster_ask_duration_seconds_count"}) {
      auto x = c.counter(bad, "", {});
      REQUIRE_MESSAGE(!x, bad);
      CHECK(x.error() == errc::invalid_argument);
    }
    for (auto label : {"runner", "le", "__x", "a-b"})
      CHECK_FALSE(c.counter("x_total", "", {{label, "v"}}));
  }
}
