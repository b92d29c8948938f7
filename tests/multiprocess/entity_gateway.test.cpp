// Entities and workflows over HTTP on real runner processes, reached with
// curl: counter-node runners offer Counter (increments persisted, an
// Idempotency-Key counting once), orders-node runners offer the
// OrderProcessing workflow; every error status of the gateway; 503 with
// Retry-After while no runner serves, 504 when the owner does not answer.
#include <doctest/doctest.h>

#include <signal.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "multiprocess/cluster.hpp"
#include "multiprocess/freeze.hpp"
#include "multiprocess/http_client.hpp"
#include "multiprocess/runner_fixture.hpp"

using namespace caf_cluster::multiprocess;
using nlohmann::json;

namespace {

const std::string orders_node = CAF_CLUSTER_ORDERS_NODE;

constexpr const char* token = "entity-gw-token-41c9";

struct entity_gateway_fixture : runner_fixture {
  std::vector<std::string> urls;

  // Starts `n` runners of `program` with gateways; returns their URLs.
  void start_gateways(int n, std::vector<std::string> extra = {},
                      const std::string& program = programs::counter_node) {
    for (int i = 0; i < n; ++i) {
      auto listen = "127.0.0.1:" + std::to_string(pick_free_port());
      auto args = extra;
      args.insert(args.end(),
                  {"--cluster.http-listen=" + listen,
                   std::string{"--cluster.http-token="} + token});
      runners.push_back(start_node(procs, storage, 0, args, 10s, program));
      urls.push_back("http://" + listen);
    }
  }

  http_answer post(const std::string& url, const std::string& body,
                   std::vector<std::string> headers = {}) {
    return http_request("POST", url, body, token, std::move(headers));
  }

  // POSTs and returns the JSON body, requiring `status`.
  json post_json(const std::string& url, const std::string& body,
                 int status = 200, std::vector<std::string> headers = {}) {
    auto res = post(url, body, std::move(headers));
    INFO(url << " " << body << " -> " << res.status << " " << res.body);
    REQUIRE(res.status == status);
    auto parsed = json::parse(res.body, nullptr, false);
    REQUIRE(!parsed.is_discarded());
    return parsed;
  }
};

} // namespace

TEST_SUITE("multiprocess.entity_gateway") {

  TEST_CASE_FIXTURE(entity_gateway_fixture,
                    "Counter over HTTP on three runners: replies, "
                    "Idempotency-Key, discard and every error status") {
    start_gateways(3);
    settle();
    auto catalogue = http_request("GET", urls[0] + "/entities", {}, token);
    REQUIRE(catalogue.status == 200);
    auto types = json::parse(catalogue.body);
    REQUIRE(types.contains("Counter"));
    CHECK(types["Counter"].size() == 3);
    // Each counter asked through every gateway in turn: replies count up.
    for (int i = 0; i < 6; ++i)
      for (int round = 1; round <= 3; ++round) {
        auto url = urls[(i + round) % 3] + "/entities/Counter/http-"
          + std::to_string(i)
          + (round == 2 ? "/counter.increment" : "/increment");
        auto reply = post_json(url, R"({"amount": 2})");
        CHECK(reply["reply"] == 2 * round);
      }
    // The same key through two gateways counts once; the second answer is
    // the stored reply.
    auto first = post_json(urls[0] + "/entities/Counter/keyed/increment",
                           R"({"amount": 5})", 200,
                           {"Idempotency-Key: order-77"});
    auto again = post_json(urls[2] + "/entities/Counter/keyed/increment",
                           R"({"amount": 5})", 200,
                           {"Idempotency-Key: order-77"});
    CHECK(first["reply"] == 5);
    CHECK(again["reply"] == 5);
    CHECK(post_json(urls[1] + "/entities/Counter/keyed/get_value", "")["reply"]
          == 5);
    // discard: 202 at once, applied soon after.
    post_json(urls[1] + "/entities/Counter/keyed/increment/discard",
              R"({"amount": 1})", 202);
    int value = 0;
    for (int i = 0; i < 50 && value != 6; ++i) {
      value = post_json(urls[0] + "/entities/Counter/keyed/get_value",
                        "")["reply"]
                .get<int>();
      if (value != 6)
        std::this_thread::sleep_for(100ms);
    }
    CHECK(value == 6);
    // Errors.
    auto base = urls[0] + "/entities/Counter/err";
    auto bad = post(base + "/increment", R"({"amount": "five"})");
    CHECK(bad.status == 400);
    CHECK(bad.body.find("field 'amount'") != std::string::npos);
    CHECK(post(base + "/increment", R"({"amount": 1, "extra": 2})").status
          == 400);
    CHECK(post(base + "/increment", R"({"amount": )").status == 400);
    CHECK(post(base + "/increment", "[1, 2]").status == 400);
    CHECK(post(base + "/get_value", "", {"Idempotency-Key: k"}).status == 400);
    CHECK(post(base + "/increment", R"({"amount": 1, "key": "a"})",
               {"Idempotency-Key: b"})
            .status
          == 400);
    CHECK(post(base + "/increment?timeout_ms=0", "{}").status == 400);
    CHECK(post(urls[0] + "/entities/Counter/%ff/get_value", "").status == 400);
    CHECK(post(urls[0] + "/entities/Nope/x/get_value", "").status == 404);
    CHECK(post(base + "/reset", "").status == 404);
    CHECK(http_request("GET", base + "/get_value", {}, token).status == 405);
    CHECK(http_request("POST", base + "/get_value").status == 401);
    auto huge
      = post(base + "/increment",
             R"({"key": ")" + std::string(2 * 1024 * 1024, 'x') + R"("})");
    CHECK(huge.status == 413);
    auto deep = post(base + "/increment",
                     std::string(100, '[') + std::string(100, ']'));
    CHECK(deep.status == 400);
    // The gateways still answer after all of it.
    CHECK(post_json(base + "/get_value", "")["reply"] == 0);
  }

  TEST_CASE_FIXTURE(entity_gateway_fixture,
                    "503 with Retry-After while no runner serves, 504 when "
                    "the owner does not answer") {
    // A client-only node's gateway while no runner is live (the one that
    // made the database left).
    start(1);
    settle();
    runners[0].proc->signal(SIGTERM);
    REQUIRE(runners[0].proc->wait(clock_type::now() + 20s));
    runners.clear();
    auto listen = "127.0.0.1:" + std::to_string(pick_free_port());
    std::vector<std::string> args{"--storage", storage, "--cluster.client-only",
                                  "--cluster.http-listen=" + listen,
                                  std::string{"--cluster.http-token="} + token};
    auto& gateway
      = procs.spawn(programs::counter_node, with_test_transport(args));
    REQUIRE(gateway.read_line(clock_type::now() + 10s)
            == std::optional<std::string>{"ready client-only"});
    auto url = "http://" + listen + "/entities/Counter/c1/get_value";
    auto none = post(url, "");
    CHECK_MESSAGE(none.status == 503, none.body);
    CHECK(none.has_header("Retry-After: 1"));
    CHECK(none.body.find("no live runner") != std::string::npos);
    // A runner again: answers; frozen outside a transaction: 504.
    start(1);
    settle();
    // The client-only node sees it at its next refresh of the runner list.
    http_answer served;
    for (int i = 0; i < 100 && served.status != 200; ++i) {
      served = post(url, "");
      if (served.status != 200)
        std::this_thread::sleep_for(100ms);
    }
    CHECK_MESSAGE(served.status == 200, served.body);
    REQUIRE(freeze_outside_transaction(*runners[0].proc, db));
    auto slow = post(url + "?timeout_ms=800", "");
    runners[0].proc->signal(SIGCONT);
    CHECK_MESSAGE(slow.status == 504, slow.body);
    CHECK(slow.body.find("\"code\":\"timeout\"") != std::string::npos);
  }

  TEST_CASE_FIXTURE(entity_gateway_fixture,
                    "OrderProcessing over HTTP: execute, start and poll, "
                    "a typed failure, unknown executions and bad tokens") {
    start_gateways(2, {"--cluster.shard-groups=default,workflow", "--quiet"},
                   orders_node);
    auto wf = urls[0] + "/workflows/OrderProcessing";
    // Shards first: an execute waits within its timeout anyway.
    auto done = post_json(wf + "/execute?timeout_ms=20000",
                          R"({"id": "h-1", "customer": "ada",
                              "amount_cents": 4200, "items": ["book"]})");
    CHECK(done["status"] == "complete");
    CHECK(done["result"]["order_id"] == "h-1");
    CHECK(done["result"]["amount_cents"] == 4200);
    auto id = done["execution_id"].get<std::string>();
    auto polled = http_request("GET",
                               urls[1]
                                 + "/workflows/OrderProcessing/"
                                   "executions/"
                                 + id,
                               {}, token);
    REQUIRE(polled.status == 200);
    CHECK(json::parse(polled.body)["result"]["tracking"] == "trk-h-1");
    // Detached, failing in shipping: poll until it ended.
    auto started = post_json(wf + "/start",
                             R"({"id": "h-2", "customer": "bob",
                                 "amount_cents": 10, "items": ["pen"],
                                 "fail_shipping": true})",
                             202);
    auto failed_id = started["execution_id"].get<std::string>();
    json state;
    for (int i = 0; i < 100; ++i) {
      auto res = http_request("GET", wf + "/executions/" + failed_id, {},
                              token);
      state = json::parse(res.body, nullptr, false);
      if (state.is_object() && state["status"] == "failed")
        break;
      std::this_thread::sleep_for(100ms);
    }
    CHECK(state["status"] == "failed");
    CHECK(state["error"]["code"] == "shipping_failed");
    CHECK(http_request("GET", wf + "/executions/no-such-id", {}, token).status
          == 404);
    CHECK(post(wf + "/execute", R"({"id": 7})").status == 400);
    CHECK(post(wf + "/complete", R"({"token": "x", "value": 1})").status
          == 400);
    CHECK(post(urls[0] + "/workflows/Nope/execute", "{}").status == 404);
    auto listing = http_request("GET", urls[0] + "/workflows", {}, token);
    CHECK(json::parse(listing.body)["OrderProcessing"]["fields"].size() == 5);
  }
}
