// The dashboard of real counter-node runners: `/api/cluster` read with curl,
// the page loaded in headless Chromium and its DOM checked while a runner is
// killed and its shards move, singletons and a cluster cron with their
// holders, and the readiness of a client-only node that waits for a live
// runner in runner storage.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "caf_cluster/storage/open_runner_driver.hpp"

#include "multiprocess/cluster.hpp"
#include "multiprocess/gateway_fixture.hpp"
#include "multiprocess/http_client.hpp"

using namespace caf_cluster::multiprocess;

namespace {

constexpr const char* chromium = "/usr/bin/chromium";

// The flags of every headless run: a profile of its own, so runs never share
// a lock, and a bound on virtual time, so the page's polling loop ends.
std::vector<std::string> headless(const std::string& profile) {
  return {"--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          "--hide-scrollbars",
          "--user-data-dir=" + profile,
          "--virtual-time-budget=4000"};
}

// The DOM of `url` after the page polled a few times; empty when Chromium
// failed or hung (it is killed after 60 s).
std::string dump_dom(const std::string& url, const std::string& profile) {
  auto args = headless(profile);
  args.insert(args.end(), {"--dump-dom", url});
  auto res = run(chromium, args, 60s);
  if (!res.status || !res.status->exited_with(0)) {
    MESSAGE("chromium --dump-dom: "
            << (res.status ? res.status->to_string() : "hung") << ": "
            << res.err.substr(0, 2000));
    return {};
  }
  return res.out;
}

// Writes a PNG of `url` to `file`; returns whether it did.
bool screenshot(const std::string& url, const std::string& profile,
                const std::string& file) {
  auto args = headless(profile);
  args.insert(args.end(),
              {"--window-size=1280,900", "--screenshot=" + file, url});
  auto res = run(chromium, args, 60s);
  std::ifstream in{file, std::ios::binary};
  std::string magic(8, '\0');
  in.read(magic.data(), 8);
  return res.status && res.status->exited_with(0) && in
    && magic == "\x89PNG\r\n\x1a\n";
}

// The value of attribute `name` in the start tag `tag`, or nullopt.
std::optional<std::string> attribute(const std::string& tag,
                                     const std::string& name) {
  auto key = " " + name + "=\"";
  auto at = tag.find(key);
  if (at == std::string::npos)
    return std::nullopt;
  at += key.size();
  return tag.substr(at, tag.find('"', at) - at);
}

// The start tags whose class attribute is exactly `cls`, in document order.
std::vector<std::string> tags_of_class(const std::string& dom,
                                       const std::string& cls) {
  std::vector<std::string> result;
  auto key = "class=\"" + cls + "\"";
  for (auto at = dom.find(key); at != std::string::npos;
       at = dom.find(key, at + 1)) {
    auto open = dom.rfind('<', at);
    auto close = dom.find('>', at);
    result.push_back(dom.substr(open, close - open + 1));
  }
  return result;
}

// What a test reads from the dashboard's DOM.
struct page_view {
  int shard_cells = 0;
  // Cells per data-owner ("" for none).
  std::map<std::string, int> owners;
  // data-alive per runner row.
  std::map<std::string, std::string> runners;
  // The data-state of the status badge.
  std::string status;
};

page_view read_page(const std::string& dom) {
  page_view result;
  for (auto& tag : tags_of_class(dom, "shard")) {
    ++result.shard_cells;
    ++result.owners[attribute(tag, "data-owner").value_or("?")];
  }
  for (auto& tag : tags_of_class(dom, "runner"))
    result.runners[attribute(tag, "data-address").value_or("?")]
      = attribute(tag, "data-alive").value_or("?");
  auto status = dom.find("id=\"status\"");
  if (status != std::string::npos) {
    auto close = dom.find('>', status);
    result.status = attribute(dom.substr(status - 1, close - status + 1),
                              "data-state")
                      .value_or("");
  }
  return result;
}

nlohmann::json cluster_json(const std::string& url, const std::string& token) {
  auto reply = fetch(url + "/api/cluster", token);
  REQUIRE_MESSAGE(reply.status == 200, reply.headers << reply.body);
  CHECK(reply.headers.find("Content-Type: application/json")
        != std::string::npos);
  return nlohmann::json::parse(reply.body);
}

} // namespace

TEST_SUITE("multiprocess.dashboard") {

  TEST_CASE_FIXTURE(gateway_fixture,
                    "three runners: /api/cluster and the page show every "
                    "shard owned, and the shards of a killed runner move") {
    start_with_gateways(3);
    settle();
    std::set<std::string> addresses;
    for (auto& g : gateways) {
      addresses.insert(g.node.address);
      REQUIRE_MESSAGE(await_ready(g.url, 10s), g.url);
    }
    auto& url = gateways[1].url;
    // The data needs the token; the page carries none and needs none.
    auto anonymous = fetch(url + "/api/cluster");
    CHECK(anonymous.status == 401);
    CHECK(anonymous.headers.find("WWW-Authenticate: Bearer")
          != std::string::npos);
    CHECK(fetch(url + "/api/cluster", "wrong-token").status == 401);
    CHECK(fetch(url + "/api/cluster", token, "POST").status == 405);
    auto page = fetch(url + "/");
    CHECK(page.status == 200);
    CHECK(page.headers.find("Content-Type: text/html") != std::string::npos);
    for (auto& a : addresses)
      CHECK(page.body.find(a) == std::string::npos);
    auto doc = cluster_json(url, token);
    CHECK(doc["node"] == gateways[1].node.address);
    CHECK(doc["shards_per_group"] == 300);
    REQUIRE(doc["runners"].size() == 3);
    for (auto& r : doc["runners"]) {
      CHECK(addresses.count(r["address"].get<std::string>()) == 1);
      CHECK(r["alive"] == true);
      CHECK(r["healthy"] == true);
      CHECK(r["draining"] == false);
      CHECK(r["shards"] == 100);
    }
    REQUIRE(doc["shard_groups"].size() == 1);
    auto& group = doc["shard_groups"][0];
    CHECK(group["group"] == "default");
    REQUIRE(group["shards"].size() == 300);
    std::map<std::string, int> owned;
    for (auto& s : group["shards"]) {
      REQUIRE(s["owner"].is_string());
      ++owned[s["owner"].get<std::string>()];
      CHECK(s["epoch"].get<int64_t>() > 0);
    }
    CHECK(to_string(owned) == to_string(even(runners, 100)));
    CHECK(doc["entity_types"][0]["entity_type"] == "Counter");
    REQUIRE(doc["backlog"].is_object());
    CHECK(doc["backlog"]["total"] == 0);
    // The page in a browser, fed by the same endpoint.
    auto page_url = url + "/#token=" + token;
    auto view = read_page(dump_dom(page_url, dir.file("chromium-1")));
    CHECK(view.status == "ok");
    CHECK(view.shard_cells == 300);
    CHECK(to_string(view.owners) == to_string(even(runners, 100)));
    REQUIRE(view.runners.size() == 3);
    for (auto& a : addresses)
      CHECK(view.runners[a] == "true");
    // Without a token the page says so and shows nothing.
    auto locked = read_page(dump_dom(url + "/", dir.file("chromium-2")));
    CHECK(locked.status == "error");
    CHECK(locked.shard_cells == 0);
    // Kill a runner that is not the one serving the page.
    auto dead = gateways[0].node.address;
    gateways[0].node.proc->signal(SIGKILL);
    auto shot = dir.file("dashboard-failover.png");
    CHECK(screenshot(page_url, dir.file("chromium-3"), shot));
    if (auto copy = std::getenv("CAF_CLUSTER_DASHBOARD_SCREENSHOT"))
      std::ofstream{copy, std::ios::binary}
        << std::ifstream{shot, std::ios::binary}.rdbuf();
    auto deadline = clock_type::now() + 40s;
    page_view last;
    int attempt = 0;
    while (clock_type::now() < deadline) {
      last = read_page(dump_dom(
        page_url, dir.file("chromium-poll-" + std::to_string(++attempt))));
      if (last.shard_cells == 300 && last.owners.count(dead) == 0
          && last.owners.count("") == 0 && last.runners[dead] == "false")
        break;
      std::this_thread::sleep_for(500ms);
    }
    MESSAGE("after the kill: " << to_string(last.owners) << " in " << attempt
                               << " page loads");
    CHECK(last.shard_cells == 300);
    CHECK(last.owners.count(dead) == 0);
    CHECK(last.owners.count("") == 0);
    CHECK(last.runners[dead] == "false");
    auto survivors = 0;
    for (auto& [owner, count] : last.owners)
      if (addresses.count(owner) == 1 && owner != dead)
        survivors += count;
    CHECK(survivors == 300);
  }

  TEST_CASE_FIXTURE(gateway_fixture,
                    "a client-only node is ready while runner storage shows "
                    "a live runner") {
    // A client never creates the database: make it, empty, as a first
    // runner would.
    REQUIRE(caf_cluster::storage::open_cluster_storage(storage));
    auto listen = "127.0.0.1:" + std::to_string(pick_free_port());
    auto url = "http://" + listen;
    auto& client_proc
      = procs.spawn(programs::counter_node,
                    with_test_transport(
                      {"--cluster.client-only", "--storage", storage,
                       "--cluster.http-listen=" + listen,
                       "--cluster.http-token-file=" + token_file}));
    auto line = client_proc.read_line(clock_type::now() + 10s);
    REQUIRE_MESSAGE(line == std::optional<std::string>{"ready client-only"},
                    client_proc.err());
    auto before = fetch(url + "/health/ready");
    CHECK(before.status == 503);
    CHECK(before.headers.find("Retry-After: 1") != std::string::npos);
    CHECK(before.body.find("no live runner") != std::string::npos);
    start_with_gateways(1);
    CHECK(await_ready(url, 10s));
    auto doc = cluster_json(url, token);
    CHECK(doc["client_only"] == true);
    CHECK(doc["node"] == "client-only");
    REQUIRE(doc["runners"].size() == 1);
    CHECK(doc["runners"][0]["address"] == runners[0].address);
    // Once the runner's heartbeat is older than the lease, ready ends.
    runners[0].proc->signal(SIGKILL);
    auto deadline = clock_type::now() + 10s;
    auto status = 0;
    while (clock_type::now() < deadline
           && (status = fetch(url + "/health/ready").status) != 503)
      std::this_thread::sleep_for(200ms);
    CHECK(status == 503);
  }

  TEST_CASE_FIXTURE(gateway_fixture,
                    "singletons and a cluster cron show where they run") {
    for (int i = 0; i < 2; ++i) {
      auto listen = "127.0.0.1:" + std::to_string(pick_free_port());
      runners.push_back(start_node(procs, storage, 0,
                                   {"--cluster.http-listen=" + listen,
                                    "--cluster.http-token-file=" + token_file},
                                   10s, programs::services_node));
      gateways.push_back({runners.back(), "http://" + listen});
    }
    settle();
    std::set<std::string> addresses{runners[0].address, runners[1].address};
    // The cron's next tick is stored once its singleton started.
    auto deadline = clock_type::now() + 15s;
    nlohmann::json doc;
    while (clock_type::now() < deadline) {
      doc = cluster_json(gateways[0].url, token);
      if (doc["crons"].size() == 1 && doc["crons"][0]["holder"].is_string()
          && doc["crons"][0]["pending_ticks"].get<int64_t>() >= 1)
        break;
      std::this_thread::sleep_for(200ms);
    }
    REQUIRE(doc["singletons"].size() == 2);
    std::map<std::string, std::string> holders;
    for (auto& x : doc["singletons"]) {
      REQUIRE(x["holder"].is_string());
      holders[x["name"].get<std::string>()] = x["holder"].get<std::string>();
      CHECK(addresses.count(x["holder"].get<std::string>()) == 1);
      // The holder of the singleton's shard in the shard map.
      auto index = std::stoi(x["shard"].get<std::string>().substr(8));
      CHECK(doc["shard_groups"][0]["shards"][index - 1]["owner"]
            == x["holder"]);
    }
    CHECK(holders.count("reporter") == 1);
    REQUIRE(holders.count("caf_cluster.cron/heartbeat") == 1);
    REQUIRE(doc["crons"].size() == 1);
    CHECK(doc["crons"][0]["name"] == "heartbeat");
    CHECK(doc["crons"][0]["holder"] == holders["caf_cluster.cron/heartbeat"]);
    CHECK(doc["crons"][0]["pending_ticks"].get<int64_t>() >= 1);
    // An every-second cron: its next stored tick is a whole second, due at
    // most a second after the reading (or a little before it, while running).
    REQUIRE(doc["crons"][0]["next_tick_ms"].is_number_integer());
    auto next = doc["crons"][0]["next_tick_ms"].get<int64_t>();
    auto read_at = doc["read_at_ms"].get<int64_t>();
    CHECK(next % 1000 == 0);
    CHECK_MESSAGE(next <= read_at + 1000, next << " read at " << read_at);
    CHECK_MESSAGE(next >= read_at - 5000, next << " read at " << read_at);
    CHECK(doc["backlog"]["total"].get<int64_t>() >= 1);
  }
}
