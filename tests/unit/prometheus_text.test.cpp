// The exposition is read by Prometheus' own parser: these tests pin the exact
// text (HELP/TYPE lines, escaping, number spelling, histogram series) and
// that misuse is refused instead of producing text a scraper rejects.
#include "caf_cluster/prometheus_text.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

#include "caf_cluster/metrics_exposition.hpp"

using namespace caf_cluster;

TEST_SUITE("unit.prometheus_text") {

  TEST_CASE("a counter and a gauge with labels") {
    prometheus_text out;
    out.family("requests_total", metric_type::counter, "Requests seen");
    out.sample({{"runner", "127.0.0.1:4001"}, {"type", "Counter"}},
               int64_t{42});
    out.family("queue", metric_type::gauge, "Queue length");
    out.sample({}, int64_t{-3});
    CHECK(out.text()
          == "# HELP requests_total Requests seen\n"
             "# TYPE requests_total counter\n"
             "requests_total{runner=\"127.0.0.1:4001\",type=\"Counter\"} 42\n"
             "# HELP queue Queue length\n"
             "# TYPE queue gauge\n"
             "queue -3\n");
  }

  TEST_CASE("label values escape backslash, quote and newline; HELP too") {
    prometheus_text out;
    out.family("x", metric_type::gauge, "a \\ b\nc \"q\"");
    out.sample({{"id", "a\\b\"c\nd"}}, int64_t{1});
    CHECK(out.text()
          == "# HELP x a \\\\ b\\nc \"q\"\n"
             "# TYPE x gauge\n"
             "x{id=\"a\\\\b\\\"c\\nd\"} 1\n");
  }

  TEST_CASE("numbers: exact integers, shortest doubles, NaN and infinities") {
    CHECK(format_sample_value(0.1) == "0.1");
    CHECK(format_sample_value(0.0005) == "0.0005");
    CHECK(format_sample_value(2.5) == "2.5");
    CHECK(format_sample_value(1e-9) == "1e-09");
    CHECK(format_sample_value(1.0 / 3) == "0.3333333333333333");
    CHECK(format_sample_value(0.1 + 0.2) == "0.30000000000000004");
    for (double x : {1.0 / 3, 0.1 + 0.2, 1e300, -2.5e-300, 123456789.125})
      CHECK(std::strtod(format_sample_value(x).c_str(), nullptr) == x);
    CHECK(format_sample_value(std::numeric_limits<double>::infinity())
          == "+Inf");
    CHECK(format_sample_value(-std::numeric_limits<double>::infinity())
          == "-Inf");
    CHECK(format_sample_value(std::nan("")) == "NaN");
    prometheus_text out;
    out.family("big", metric_type::counter, "h");
    out.sample({}, int64_t{9007199254740993}); // not a double
    CHECK(out.text().find("big 9007199254740993\n") != std::string::npos);
  }

  TEST_CASE("a histogram writes buckets with le, +Inf, sum and count") {
    histogram_snapshot h;
    h.bounds = {0.1, 1};
    h.cumulative = {2, 3};
    h.count = 4;
    h.sum = 7.25;
    prometheus_text out;
    out.family("latency_seconds", metric_type::histogram, "Latency");
    out.histogram({{"runner", "r"}}, h);
    CHECK(out.text()
          == "# HELP latency_seconds Latency\n"
             "# TYPE latency_seconds histogram\n"
             "latency_seconds_bucket{runner=\"r\",le=\"0.1\"} 2\n"
             "latency_seconds_bucket{runner=\"r\",le=\"1\"} 3\n"
             "latency_seconds_bucket{runner=\"r\",le=\"+Inf\"} 4\n"
             "latency_seconds_sum{runner=\"r\"} 7.25\n"
             "latency_seconds_count{runner=\"r\"} 4\n");
  }

  TEST_CASE("names the format forbids and misuse are refused") {
    CHECK(valid_metric_name("caf_cluster:x_total"));
    CHECK_FALSE(valid_metric_name("1abc"));
    CHECK_FALSE(valid_metric_name("a-b"));
    CHECK_FALSE(valid_metric_name(""));
    CHECK(valid_label_name("entity_type"));
    CHECK_FALSE(valid_label_name("__name__"));
    CHECK_FALSE(valid_label_name("a:b"));
    prometheus_text out;
    CHECK_THROWS_AS(out.sample({}, int64_t{1}), std::logic_error);
    CHECK_THROWS_AS(out.family("bad name", metric_type::gauge, "h"),
                    std::logic_error);
    out.family("g", metric_type::gauge, "h");
    CHECK_THROWS_AS(out.family("g", metric_type::gauge, "h"),
                    std::logic_error);
    CHECK_THROWS_AS(out.sample({{"bad-label", "x"}}, int64_t{1}),
                    std::logic_error);
    CHECK_THROWS_AS(out.histogram({}, histogram_snapshot{}), std::logic_error);
    out.family("h", metric_type::histogram, "h");
    CHECK_THROWS_AS(out.sample({}, 1.0), std::logic_error);
    histogram_snapshot broken;
    broken.bounds = {1.0};
    CHECK_THROWS_AS(out.histogram({}, broken), std::logic_error);
    CHECK_THROWS_AS(out.histogram({{"le", "1"}}, histogram_snapshot{}),
                    std::logic_error);
  }

  TEST_CASE("a runner's snapshot: every family, every series labelled") {
    metrics_snapshot m;
    entity_type_metrics counter;
    counter.entity_type = "Counter";
    counter.resident = 3;
    counter.processed = 120;
    counter.activations = 5;
    counter.passivations = 2;
    counter.mailbox_full = 1;
    counter.failed = 4;
    counter.handler_latency = caf_cluster::latency_histogram{}.snapshot();
    m.entity_types.push_back(counter);
    m.active_shards = 100;
    m.singletons = 1;
    auto text = prometheus_exposition(m, "127.0.0.1:4001");
    const std::string r = "runner=\"127.0.0.1:4001\"";
    for (auto line :
         {"caf_cluster_entities{" + r + ",entity_type=\"Counter\"} 3",
          "caf_cluster_messages_processed_total{" + r
            + ",entity_type=\"Counter\"} 120",
          "caf_cluster_messages_refused_total{" + r
            + ",entity_type=\"Counter\",reason=\"mailbox_full\"} 1",
          "caf_cluster_entity_activations_total{" + r
            + ",entity_type=\"Counter\"} 5",
          "caf_cluster_entity_passivations_total{" + r
            + ",entity_type=\"Counter\"} 2",
          "caf_cluster_messages_failed_total{" + r
            + ",entity_type=\"Counter\"} 4",
          "caf_cluster_handler_duration_seconds_bucket{" + r
            + ",entity_type=\"Counter\",le=\"+Inf\"} 0",
          "caf_cluster_handler_duration_seconds_count{" + r
            + ",entity_type=\"Counter\"} 0",
          "caf_cluster_shards_held{" + r + "} 100",
          "caf_cluster_singletons{" + r + "} 1"})
      CHECK_MESSAGE(text.find(line + "\n") != std::string::npos, line);
    // Every sample line carries the runner label.
    size_t start = 0;
    while (start < text.size()) {
      auto end = text.find('\n', start);
      auto line = text.substr(start, end - start);
      if (line[0] != '#')
        CHECK_MESSAGE(line.find(r) != std::string::npos, line);
      start = end + 1;
    }
  }
}
