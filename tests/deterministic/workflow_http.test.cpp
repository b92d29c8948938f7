// Workflows through the gateway's router on the test coordinator: start,
// poll, a deferred completed over HTTP with a JSON value, interrupt, and the
// errors of bad tokens and values. The router runs its calls in an actor of
// the cluster's system, so the simulated clock drives them.
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>

#include "caf_cluster/gateway/api_router.hpp"
#include "caf_cluster/gateway/http_workflow.hpp"

#include "deterministic/workflow_fixture.hpp"

using namespace caf_cluster;
using namespace caf_cluster::testing::wf;
using nlohmann::json;

namespace {

struct http_fixture {
  wf_cluster wc;
  std::shared_ptr<gateway::http_api> api;
  std::unique_ptr<gateway::api_router> router;
  std::string base = "/workflows/" + approval_def().name();

  http_fixture() {
    api = std::make_shared<gateway::http_api>(wc.c.runner(0));
    gateway::add_workflow(*api, workflow::engine{wc.c.runner(0)},
                          approval_def(), {"id"})
      .deferred<std::string>("Approval");
    REQUIRE(!api->error());
    router = std::make_unique<gateway::api_router>(api);
  }

  ~http_fixture() {
    router.reset();
    wc.c.run();
  }

  // Sends a request and advances the simulated clock until it is answered.
  gateway::http_response call(std::string method, std::string path,
                              std::string body = {}) {
    auto answer = std::make_shared<std::optional<gateway::http_response>>();
    gateway::http_request req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.body = std::move(body);
    router->handle(req, [answer](gateway::http_response res) {
      *answer = std::move(res);
    });
    wc.c.advance_until(
      [&] {
        return answer->has_value();
      },
      30s);
    REQUIRE(answer->has_value());
    return std::move(**answer);
  }

  json call_json(std::string method, std::string path, std::string body,
                 unsigned status) {
    auto res = call(std::move(method), std::move(path), std::move(body));
    INFO(res.body);
    REQUIRE(res.status == status);
    return json::parse(res.body);
  }
};

} // namespace

TEST_CASE_FIXTURE(http_fixture,
                  "workflow over HTTP: start, poll, complete a deferred with "
                  "a JSON value, result") {
  auto started = call_json("POST", base + "/start", R"({"id":"h1"})", 202);
  auto id = started["execution_id"].get<std::string>();
  CHECK(id == approval_def().execution_id(job{"h1"}));
  auto running = call_json("GET", base + "/executions/" + id, {}, 200);
  CHECK(running["status"] != "complete");
  workflow::deferred_token token{approval_def().name(), id, "Approval",
                                 approval_def().shard_group()};
  // A value of the wrong type, an unknown deferred, a foreign workflow.
  auto wrong = call("POST", base + "/complete",
                    json{{"token", token.to_string()}, {"value", 5}}.dump());
  CHECK(wrong.status == 400);
  CHECK(wrong.body.find("field 'value'") != std::string::npos);
  auto other = token;
  other.deferred = "Other";
  CHECK(call("POST", base + "/complete",
             json{{"token", other.to_string()}, {"value", "x"}}.dump())
          .status
        == 400);
  other = token;
  other.workflow = "Elsewhere";
  CHECK(call("POST", base + "/complete",
             json{{"token", other.to_string()}, {"value", "x"}}.dump())
          .status
        == 400);
  CHECK(call("POST", base + "/complete", R"({"value":"x"})").status == 400);
  // The real completion; the body returns the approval.
  auto done = call_json(
    "POST", base + "/complete",
    json{{"token", token.to_string()}, {"value", "approved by http"}}.dump(),
    202);
  CHECK(done["completed"] == true);
  json polled;
  wc.c.advance_until(
    [&] {
      polled = call_json("GET", base + "/executions/" + id, {}, 200);
      return polled["status"] == "complete";
    },
    60s);
  CHECK(polled["status"] == "complete");
  CHECK(polled["result"] == "approved by http");
  // Execute joins the ended execution and answers its outcome.
  auto joined = call_json("POST", base + "/execute", R"({"id":"h1"})", 200);
  CHECK(joined["result"] == "approved by http");
}

TEST_CASE_FIXTURE(http_fixture,
                  "workflow over HTTP: interrupt ends an execution "
                  "interrupted; unknown executions answer 404") {
  auto id = call_json("POST", base + "/start", R"({"id":"h2"})",
                      202)["execution_id"]
              .get<std::string>();
  call_json("POST", base + "/executions/" + id + "/interrupt", {}, 202);
  json polled;
  wc.c.advance_until(
    [&] {
      polled = call_json("GET", base + "/executions/" + id, {}, 200);
      return polled["status"] == "interrupted";
    },
    60s);
  CHECK(polled["status"] == "interrupted");
  CHECK(call("GET", base + "/executions/nothing-here").status == 404);
  CHECK(call("POST", base + "/executions/" + id).status == 405);
  CHECK(call("POST", base + "/start", R"({"id":1})").status == 400);
  CHECK(call("POST", "/workflows/Nope/start", "{}").status == 404);
}
