// Live (real threads and clock, one process): two runners on one memory
// runner store and an in-process network. Runner A's lease refresh hangs in
// storage and never returns while A's entities run; A must stop them and stop
// serving one refresh interval before its leases can expire, its callers
// must be rerouted to B, and no entity may ever be active on both.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "caf/actor_system.hpp"

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/memory_transport.hpp"
#include "caf_cluster/shard_id.hpp"
#include "caf_cluster/sharding.hpp"
#include "caf_cluster/storage/memory_message_driver.hpp"
#include "caf_cluster/storage/memory_runner_driver.hpp"
#include "caf_cluster/wall_clock.hpp"

#include "common/census_entity.hpp"
#include "deterministic/faulty_runner_driver.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::testing;

namespace {

using steady = std::chrono::steady_clock;

struct live_pair {
  cluster_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<storage::memory_runner_store> store
    = storage::make_memory_runner_store();
  std::shared_ptr<memory_network> network = std::make_shared<memory_network>();
  std::shared_ptr<activation_census> census
    = std::make_shared<activation_census>();
  std::shared_ptr<wall_clock> clock = make_system_wall_clock();
  std::shared_ptr<faulty_runner_driver> storage_a;
  std::optional<sharding> a;
  std::optional<sharding> b;

  static sharding_config config() {
    sharding_config result;
    result.shards_per_group = 30;
    result.lease_duration = 1s;
    result.lease_refresh_interval = 200ms;
    result.entity_termination_timeout = 1s;
    result.send_timeout = 15s;
    return result;
  }

  sharding start(const std::string& address,
                 std::shared_ptr<storage::runner_driver> driver) {
    auto c = config();
    c.runner_address = address;
    runner_options opts;
    opts.storage = std::move(driver);
    opts.messages = storage::make_memory_message_driver(store);
    opts.transport = make_memory_transport(network);
    auto made = sharding::make_runner(sys, c, opts, clock);
    REQUIRE_MESSAGE(made, sys.render(made.error()));
    REQUIRE(!register_watched(*made, census));
    return std::move(*made);
  }

  live_pair() {
    storage_a = std::make_shared<faulty_runner_driver>(
      storage::make_memory_runner_driver(store));
    a.emplace(start("10.0.1.1:4000", storage_a));
    b.emplace(
      start("10.0.1.2:4000", storage::make_memory_runner_driver(store)));
  }

  ~live_pair() {
    storage_a->hang_refresh(false);
    for (auto* x : {&a, &b})
      if (*x)
        (*x)->await_shutdown(10s);
    a.reset();
    b.reset();
  }

  int32_t shard_of(const std::string& id) const {
    return make_shard_id(id, "default", config().shards_per_group)->index;
  }

  bool serves(const sharding& s, const std::string& id) const {
    return s.has_shard_id(shard_id{"default", shard_of(id)});
  }

  // An id of a shard that A serves.
  std::string served_by_a(int start) const {
    for (int i = start; i < start + 10'000; ++i) {
      auto id = "w-" + std::to_string(i);
      if (serves(*a, id) && !serves(*b, id))
        return id;
    }
    FAIL("no id served by A");
    return {};
  }

  std::optional<int64_t> lease_expiry(const std::string& id) const {
    auto rows = storage::make_memory_runner_driver(store)->leases();
    auto key = "default:" + std::to_string(shard_of(id));
    if (rows)
      for (auto& row : *rows)
        if (row.shard == key && row.runner == a->address())
          return row.expires_at_ms;
    return std::nullopt;
  }

  // Waits up to `limit` for `pred`.
  template <class Pred>
  bool eventually(Pred pred, steady::duration limit = 10s) {
    auto until = steady::now() + limit;
    while (!pred()) {
      if (steady::now() > until)
        return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }
};

} // namespace

TEST_SUITE_BEGIN("multiprocess.lease_hang_live");

TEST_CASE_FIXTURE(live_pair,
                  "live: a runner whose lease refresh hangs stops "
                  "its entities before its leases can expire") {
  // Every shard served by exactly one of the two, each serving some.
  REQUIRE(eventually([&] {
    int on_a = 0;
    int on_b = 0;
    for (int32_t i = 1; i <= config().shards_per_group; ++i) {
      shard_id s{"default", i};
      auto x = a->has_shard_id(s);
      auto y = b->has_shard_id(s);
      if (x == y)
        return false;
      on_a += x ? 1 : 0;
      on_b += y ? 1 : 0;
    }
    return on_a > 0 && on_b > 0;
  }));
  auto busy = served_by_a(0);
  auto idle = served_by_a(1000);
  auto via_b = b->make_client(watched_entity());
  auto warm = via_b.ask(idle, int64_t{0}, 5s);
  REQUIRE(warm);
  REQUIRE_EQ(*warm, 1);
  auto long_call = std::async(std::launch::async, [&] {
    return via_b.ask(busy, int64_t{3000}, 15s);
  });
  REQUIRE(eventually([&] {
    return census->live(busy) == 1;
  }));
  storage_a->hang_refresh(true);
  REQUIRE(eventually(
    [&] {
      return storage_a->hanging();
    },
    2s));
  // The last refresh that returned set the expiry A must stay clear of.
  auto expiry = lease_expiry(busy);
  REQUIRE(expiry);
  auto refresh_ms = to_ms(config().lease_refresh_interval);
  std::optional<int64_t> unserved_at;
  std::optional<int64_t> stopped_at;
  std::optional<std::future<caf::expected<int64_t>>> second;
  auto until = steady::now() + 8s;
  while (long_call.wait_for(0s) != std::future_status::ready
         && steady::now() < until) {
    REQUIRE_FALSE(census->overlapped());
    auto now = clock->now_ms();
    if (!unserved_at && !serves(*a, busy))
      unserved_at = now;
    if (!stopped_at && census->live(busy) == 0 && census->live(idle) == 0)
      stopped_at = now;
    // After the expiry B serves `idle`: it must never run beside A's.
    if (!second && now > *expiry + 100)
      second = std::async(std::launch::async, [&] {
        return via_b.ask(idle, int64_t{0}, 10s);
      });
    std::this_thread::sleep_for(2ms);
  }
  REQUIRE(unserved_at);
  REQUIRE(stopped_at);
  MESSAGE("lease expiry " << *expiry << "; A stopped serving "
                          << *expiry - *unserved_at
                          << " ms before it, its entities were gone "
                          << *expiry - *stopped_at << " ms before it");
  // Polling and thread wake-ups add a few ms to the observed instants.
  CHECK_LE(*unserved_at, *expiry - refresh_ms + 50);
  CHECK_LE(*stopped_at, *expiry - refresh_ms + 50);
  // The caller was rerouted to B, which ran the message.
  auto reply = long_call.get();
  REQUIRE_MESSAGE(reply, sys.render(reply.error()));
  CHECK_EQ(*reply, 1);
  REQUIRE(second);
  auto again = second->get();
  REQUIRE_MESSAGE(again, sys.render(again.error()));
  CHECK_EQ(*again, 1);
  CHECK(census->runners(busy)
        == std::vector<std::string>{a->address(), b->address()});
  CHECK(census->runners(idle)
        == std::vector<std::string>{a->address(), b->address()});
  CHECK_FALSE(census->overlapped());
  CHECK(storage_a->hanging()); // the refresh never returned meanwhile
}

TEST_SUITE_END();
