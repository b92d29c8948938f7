// The dashboard's answers on a single runner, with storage reads replaced:
// the page, the JSON of a reading, and a storage error as 503 with
// Retry-After and a JSON body; paths that are not its own are left alone.
#include "caf_cluster/gateway/internal/dashboard.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "caf/actor_system.hpp"

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/errc.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::gateway;
using namespace caf_cluster::gateway::internal;

namespace {

struct dashboard_fixture {
  cluster_config cfg;
  caf::actor_system sys{cfg};
  std::optional<sharding> cluster;

  dashboard_fixture() {
    auto made = sharding::make(sys, sharding_config{});
    REQUIRE(made);
    cluster = std::move(*made);
  }

  ~dashboard_fixture() {
    cluster->await_shutdown(5s);
  }
};

// The response of `board` to `method path`; nullopt when it is not the
// dashboard's.
std::optional<http_response> ask(dashboard& board, const std::string& path,
                                 const std::string& method = "GET") {
  http_request req;
  req.method = method;
  req.path = path;
  auto promise = std::make_shared<std::promise<http_response>>();
  auto future = promise->get_future();
  if (!board.serve(req, [promise](http_response res) {
        promise->set_value(std::move(res));
      }))
    return std::nullopt;
  REQUIRE(future.wait_for(5s) == std::future_status::ready);
  return future.get();
}

std::string header(const http_response& res, const std::string& name) {
  for (auto& [key, value] : res.headers)
    if (key == name)
      return value;
  return {};
}

} // namespace

TEST_SUITE("gateway.dashboard") {

  TEST_CASE_FIXTURE(dashboard_fixture, "the page and the JSON of a reading") {
    dashboard board{*cluster, "node-1", [] {
                      cluster_reading r;
                      r.read_at_ms = 10'000;
                      r.has_runner_storage = true;
                      storage::runner_row row;
                      row.address = "127.0.0.1:4001";
                      row.last_heartbeat_ms = 9'900;
                      r.runners.push_back(row);
                      // Two stored ticks of a cron: the earlier is next.
                      r.pending = std::vector<storage::pending_count>{
                        {"default:3", "caf_cluster.cron/nightly", 1, 72'000},
                        {"default:9", "caf_cluster.cron/nightly", 1, 12'000}};
                      return caf::expected<cluster_reading>{std::move(r)};
                    }};
    auto page = ask(board, "/");
    REQUIRE(page);
    CHECK(page->status == 200);
    CHECK(page->content_type == "text/html; charset=utf-8");
    CHECK(page->body.find("id=\"shard-groups\"") != std::string::npos);
    // The cron table shows the next tick next to the ticks stored.
    CHECK(page->body.find("<th>next tick (UTC)</th>") != std::string::npos);
    CHECK(page->body.find("ticks stored") != std::string::npos);
    CHECK(page->body.find("c.next_tick_ms") != std::string::npos);
    auto doc = ask(board, "/api/cluster");
    REQUIRE(doc);
    CHECK(doc->status == 200);
    CHECK(doc->content_type == "application/json");
    auto json = nlohmann::json::parse(doc->body);
    CHECK(json["node"] == "node-1");
    CHECK(json["runners"][0]["alive"] == true);
    CHECK(json["shard_groups"][0]["shards"].size() == 300);
    CHECK(json["crons"]
          == nlohmann::json{{{"name", "nightly"},
                             {"holder", nullptr},
                             {"pending_ticks", 2},
                             {"next_tick_ms", 12'000}}});
    CHECK(ask(board, "/", "POST")->status == 405);
    CHECK_FALSE(ask(board, "/metrics"));
    // Only a client-only node answers readiness from storage.
    CHECK_FALSE(ask(board, "/health/ready"));
  }

  TEST_CASE_FIXTURE(dashboard_fixture,
                    "a storage error answers 503 with Retry-After") {
    dashboard board{*cluster, "node-1", [] {
                      return caf::expected<cluster_reading>{caf::make_error(
                        errc::runner_unavailable, "database down")};
                    }};
    auto res = ask(board, "/api/cluster");
    REQUIRE(res);
    CHECK(res->status == 503);
    CHECK(header(*res, "Retry-After") == "1");
    CHECK(res->content_type == "application/json");
    auto json = nlohmann::json::parse(res->body);
    CHECK(json["retry_after_s"] == 1);
    CHECK(json["error"].get<std::string>().find("database down")
          != std::string::npos);
  }
}
