// One process, real threads and clock: executions suspended on a deferred
// hold no thread of the engine's pool. With a pool of 2 threads, 2,000
// executions reach their await and wait there at once; completing their
// deferreds finishes every one.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "caf/actor_system.hpp"

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/memory_transport.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/storage/memory_message_driver.hpp"
#include "caf_cluster/storage/memory_runner_driver.hpp"
#include "caf_cluster/wall_clock.hpp"
#include "caf_cluster/workflow.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
namespace wf = caf_cluster::workflow;

namespace {

using steady = std::chrono::steady_clock;

const auto parked
  = wf::workflow<std::string, int32_t>("parked").idempotency_key(
    [](const std::string& x) {
      return x;
    });

cluster_config make_config() {
  cluster_config cfg;
  wf::add_workflow_types(cfg, parked);
  return cfg;
}

// Polls `pred` every 10 ms until it holds or `within` passed.
template <class Pred>
bool wait_for(Pred pred, std::chrono::seconds within) {
  auto deadline = steady::now() + within;
  while (!pred()) {
    if (steady::now() > deadline)
      return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

} // namespace

TEST_CASE("2,000 executions suspended on a deferred hold none of the "
          "engine's 2 threads") {
  constexpr int n = 2000;
  auto cfg = make_config();
  caf::actor_system sys{cfg};
  sharding_config scfg;
  scfg.shards_per_group = 30;
  scfg.runner_address = "10.0.3.1:4000";
  auto store = storage::make_memory_runner_store();
  runner_options opts;
  opts.storage = storage::make_memory_runner_driver(store);
  opts.messages = storage::make_memory_message_driver(store);
  opts.transport = make_memory_transport(std::make_shared<memory_network>());
  auto cluster = sharding::make_runner(sys, scfg, opts,
                                       make_system_wall_clock());
  REQUIRE_MESSAGE(cluster, sys.render(cluster.error()));
  auto arrived = std::make_shared<std::atomic<int>>(0);
  wf::engine_options eopts;
  eopts.threads = 2;
  wf::engine engine{*cluster, eopts};
  auto err = engine.add(parked,
                        [arrived](wf::context& ctx, const std::string&)
                          -> wf::outcome<int32_t, caf::error> {
                          ctx.activity("arrive", [arrived] {
                            return ++*arrived;
                          });
                          auto go = ctx.await(wf::deferred<int32_t>{"go"});
                          if (!go)
                            return wf::fail(go.error());
                          return *go + 1;
                        });
  REQUIRE_MESSAGE(!err, sys.render(err));
  auto client = engine.make_client(parked);
  for (int i = 0; i < n; ++i) {
    auto id = client.start("p-" + std::to_string(i), 10s);
    REQUIRE_MESSAGE(id, sys.render(id.error()));
  }
  // Every execution ran its activity and waits at the same time.
  CHECK(wait_for(
    [&] {
      return arrived->load() == n;
    },
    60s));
  CHECK(arrived->load() == n);
  for (int i : {0, n / 2, n - 1}) {
    auto p = client.poll(client.execution_id("p-" + std::to_string(i)), 10s);
    REQUIRE_MESSAGE(p, sys.render(p.error()));
    CHECK(p->status == wf::execution_status::suspended);
  }
  for (int i = 0; i < n; ++i) {
    auto id = client.execution_id("p-" + std::to_string(i));
    auto token = wf::deferred_token{parked.name(), id, "go", ""}.to_string();
    auto done = engine.complete(token, int32_t{i}, 10s);
    REQUIRE_MESSAGE(!done, sys.render(done));
  }
  int complete = 0;
  for (int i = 0; i < n; ++i) {
    auto out = client.execute("p-" + std::to_string(i), 30s);
    REQUIRE_MESSAGE(out, sys.render(out.error()));
    REQUIRE(out->ok());
    if (out->value() == i + 1)
      ++complete;
  }
  CHECK(complete == n);
  // Joining ended executions ran nothing again.
  CHECK(arrived->load() == n);
  engine.stop();
  cluster->shutdown();
  CHECK(cluster->await_shutdown(10s));
}
