// The HTTP gateway of real counter-node runners, reached with curl: health
// without a token, metrics only with the right one, error statuses, and the
// metrics of three runners parsed by Prometheus' own Python parser and checked
// against what the test did. Bad gateway options end a runner with one line.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "caf_cluster/metrics_exposition.hpp"

#include "multiprocess/cluster.hpp"
#include "multiprocess/gateway_fixture.hpp"
#include "multiprocess/http_client.hpp"

using namespace caf_cluster::multiprocess;

namespace {

// Sums the samples of `family` whose labels include `label=value` over the
// expositions in `files`, with prometheus_client's parser; prints
// "<sum> <runner label values, comma separated>".
std::string parse_with_prometheus(const std::vector<std::string>& files,
                                  const std::string& family,
                                  const std::string& label,
                                  const std::string& value) {
  std::string script =
    "import sys\n"
    "from prometheus_client.parser import text_string_to_metric_families\n"
    "family, label, value = sys.argv[1:4]\n"
    "total, runners = 0, []\n"
    "for path in sys.argv[4:]:\n"
    "    for f in text_string_to_metric_families(open(path).read()):\n"
    "        for s in f.samples:\n"
    "            if s.name == family and (not label or s.labels.get(label) == value):\n"
    "                total += s.value\n"
    "                runners.append(s.labels['runner'])\n"
    "print(int(total), ','.join(sorted(runners)))\n";
  std::vector<std::string> args{"-c", script, family, label, value};
  args.insert(args.end(), files.begin(), files.end());
  auto res = run("/usr/bin/python3", args, 20s);
  REQUIRE_MESSAGE(res.status, "python3 hung");
  REQUIRE_MESSAGE(res.status->exited_with(0), res.err);
  auto out = res.out;
  while (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out;
}

} // namespace

TEST_SUITE("multiprocess.gateway") {

  TEST_CASE_FIXTURE(gateway_fixture,
                    "three runners' gateways: health, the token, error "
                    "statuses, and metrics that count every ask") {
    start_with_gateways(3);
    settle();
    for (auto& g : gateways) {
      auto live = fetch(g.url + "/health/live");
      CHECK(live.status == 200);
      CHECK(live.body == "live\n");
      CHECK_MESSAGE(await_ready(g.url, 10s), g.url);
      auto anonymous = fetch(g.url + "/metrics");
      CHECK(anonymous.status == 401);
      CHECK(anonymous.headers.find("WWW-Authenticate: Bearer")
            != std::string::npos);
      CHECK(fetch(g.url + "/metrics", "wrong-token").status == 401);
      CHECK(fetch(g.url + "/metrics", token, "POST").status == 405);
      CHECK(fetch(g.url + "/nope", token).status == 404);
    }
    // 40 asks over 10 counters through a client-only node.
    client = std::make_unique<client_node>(storage);
    int asks = 0;
    for (int round = 0; round < 4; ++round)
      for (int i = 0; i < 10; ++i) {
        auto value = client->increment("gw-" + std::to_string(i), 1);
        REQUIRE_MESSAGE(value, client->render(value.error()));
        CHECK(*value == round + 1);
        ++asks;
      }
    std::vector<std::string> files;
    for (size_t i = 0; i < gateways.size(); ++i) {
      auto metrics = fetch(gateways[i].url + "/metrics", token);
      REQUIRE(metrics.status == 200);
      CHECK(metrics.headers.find("Content-Type: text/plain; version=0.0.4")
            != std::string::npos);
      auto file = dir.file("metrics-" + std::to_string(i) + ".txt");
      std::ofstream{file} << metrics.body;
      files.push_back(file);
    }
    std::vector<std::string> addresses;
    for (auto& g : gateways)
      addresses.push_back(g.node.address);
    std::sort(addresses.begin(), addresses.end());
    std::string all;
    for (auto& a : addresses)
      all += (all.empty() ? "" : ",") + a;
    // prometheus_client strips "_total" from a counter family's name but
    // keeps it on the sample.
    CHECK(parse_with_prometheus(files, "caf_cluster_messages_processed_total",
                                "entity_type", "Counter")
          == std::to_string(asks) + " " + all);
    CHECK(parse_with_prometheus(files,
                                "caf_cluster_handler_duration_seconds_count",
                                "entity_type", "Counter")
          == std::to_string(asks) + " " + all);
    CHECK(parse_with_prometheus(files, "caf_cluster_shards_held", "", "")
          == "300 " + all);
    CHECK(parse_with_prometheus(files, "caf_cluster_entity_activations_total",
                                "entity_type", "Counter")
          == "10 " + all);
    // Each runner sees all three; nothing moved, failed over or waits.
    CHECK(parse_with_prometheus(files, "caf_cluster_live_runners", "", "")
          == "9 " + all);
    CHECK(parse_with_prometheus(files, "caf_cluster_shards_draining", "", "")
          == "0 " + all);
    CHECK(parse_with_prometheus(files, "caf_cluster_shard_failovers_total", "",
                                "")
          == "0 " + all);
    CHECK(parse_with_prometheus(files, "caf_cluster_persisted_messages_pending",
                                "entity_type", "Counter")
          == "0 " + all);
    // Increments are persisted: every reply was committed by a runner's
    // storage writer (requests too, unless the client stored them).
    auto rows = parse_with_prometheus(files, "caf_cluster_storage_commit_rows_sum",
                                      "", "");
    CHECK_MESSAGE(std::stoi(rows) >= asks, rows);
    auto commits = parse_with_prometheus(
      files, "caf_cluster_storage_commit_duration_seconds_count", "", "");
    CHECK_MESSAGE(std::stoi(commits) > 0, commits);
    CHECK(commits.substr(commits.find(' ')) == " " + all);
    auto refreshes = parse_with_prometheus(
      files, "caf_cluster_lease_refresh_duration_seconds_count", "", "");
    CHECK_MESSAGE(std::stoi(refreshes) >= 3, refreshes);
    // The asks were made on the client node: its exposition times each.
    auto client_file = dir.file("metrics-client.txt");
    std::ofstream{client_file}
      << caf_cluster::prometheus_exposition(client->metrics(), "client");
    CHECK(parse_with_prometheus({client_file},
                                "caf_cluster_ask_duration_seconds_count",
                                "entity_type", "Counter")
          == std::to_string(asks) + " client");
    CHECK(parse_with_prometheus({client_file}, "caf_cluster_live_runners", "",
                                "")
          == "3 client");
  }

  TEST_CASE("bad gateway options end a runner with one line naming them") {
    temp_dir dir;
    auto storage = "sqlite:" + dir.file("cluster.db");
    auto loose = dir.file("loose-token");
    std::ofstream{loose} << "abc\n";
    ::chmod(loose.c_str(), 0644);
    auto port = std::to_string(pick_free_port());
    std::vector<refused_start> cases{
      {{"--cluster.http-listen=127.0.0.1:" + port},
       "needs exactly one of cluster.http-token"},
      {{"--cluster.http-listen=0.0.0.0:" + port, "--cluster.http-anonymous"},
       "needs a loopback cluster.http-listen"},
      {{"--cluster.http-listen=localhost:" + port, "--cluster.http-token=x"},
       "needs an IP address as its host"},
      {{"--cluster.http-token=x"}, "need cluster.http-listen"},
      {{"--cluster.http-listen=127.0.0.1:" + port,
        "--cluster.http-token-file=" + loose},
       "is readable by group or others (mode 0644)"},
    };
    check_refused_starts(storage, cases);
  }
}
