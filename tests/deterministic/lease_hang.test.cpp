// A runner whose lease refreshes hang (its shard manager is stuck in a storage
// call and does nothing else) must behave as when refreshes fail: its entities
// stop, their callers are rerouted, and it stops serving one refresh interval
// before the lease can expire, so the runner that takes the shard over never
// activates an entity that still runs on the hung one.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "caf/event_based_actor.hpp"

#include "caf_cluster/shard_id.hpp"

#include "common/census_entity.hpp"
#include "deterministic/cluster_fixture.hpp"
#include "deterministic/cluster_steps.hpp"

using namespace std::chrono_literals;
using namespace caf_cluster;
using namespace caf_cluster::testing;
using namespace caf_cluster::testing::steps;

namespace {

int64_t value_of_or(const std::optional<caf::expected<int64_t>>& x) {
  return x && *x ? **x : -1;
}

int32_t shard_of(cluster_fixture& f, const std::string& id) {
  return make_shard_id(id, "default", f.config().shards_per_group)->index;
}

reply_slot ask_watched(cluster_fixture& f, size_t via, std::string id,
                       int64_t ms, caf::timespan timeout) {
  auto slot = std::make_shared<std::optional<caf::expected<int64_t>>>();
  auto client = f.runner(via).make_client(watched_entity());
  f.sys.spawn([=](caf::event_based_actor* self) {
    client.request(self, id, ms, timeout)
      .then(
        [=](int64_t x) {
          *slot = x;
        },
        [=](caf::error& err) {
          *slot = std::move(err);
        });
  });
  f.run();
  return slot;
}

} // namespace

TEST_CASE("a runner whose lease refreshes hang stops its entities before "
          "the lease can expire") {
  auto census = std::make_shared<activation_census>();
  cluster_fixture f{2, cluster_fixture::default_config(),
                    [census](sharding& s, size_t) {
                      REQUIRE(!register_watched(s, census));
                    }};
  REQUIRE(advance_until(f, [&] {
    return settled(f);
  }));
  auto busy = id_served_by(f, 0, 0);
  auto idle = id_served_by(f, 0, 1000);
  auto busy_shard = shard_of(f, busy);
  auto idle_shard = shard_of(f, idle);
  // `idle` is resident and waits; `busy` runs a 10 s handler, asked through
  // the other runner (its router delivers it to runner 0).
  auto first = ask_watched(f, 1, idle, 0, 3s);
  REQUIRE(advance_until(f, [&] {
    return first->has_value();
  }));
  auto long_call = ask_watched(f, 1, busy, 10'000, 30s);
  REQUIRE(advance_until(f, [&] {
    return census->live(busy) == 1;
  }));
  REQUIRE_EQ(census->live(idle), 1);
  // Runner 0's shard manager now hangs: no refreshes, no stops.
  f.freeze_shard_manager(0, true);
  auto expiry = f.lease_expiry(busy_shard);
  REQUIRE(expiry);
  auto refresh_ms = to_ms(f.config().lease_refresh_interval);
  std::optional<int64_t> stopped_at;
  std::optional<int64_t> unserved_at;
  reply_slot second;
  for (int i = 0; i < 300 && !long_call->has_value(); ++i) {
    f.advance(10ms);
    auto now = f.clock->now_ms();
    // Once the lease expired, `idle` gets a message through runner 1 too:
    // it must run there only, never beside a live activation on runner 0.
    if (!second && now > *expiry + 200)
      second = ask_watched(f, 1, idle, 0, 3s);
    REQUIRE_FALSE(census->overlapped());
    REQUIRE(doubly_served(f) == 0);
    auto serves = f.servers(busy_shard);
    auto on_zero = std::find(serves.begin(), serves.end(), 0) != serves.end();
    if (!on_zero && !unserved_at)
      unserved_at = now;
    if (on_zero) // never serves in the last refresh interval of its lease
      REQUIRE_LT(now, *expiry - refresh_ms);
    if (!stopped_at && census->live(busy) == 0 && census->live(idle) == 0)
      stopped_at = now;
  }
  REQUIRE(stopped_at);
  REQUIRE(unserved_at);
  MESSAGE("lease expiry " << *expiry << ", runner 0 stopped serving at "
                          << *unserved_at << " and its entities were gone at "
                          << *stopped_at);
  CHECK_LE(*unserved_at, *expiry - refresh_ms);
  CHECK_LE(*stopped_at, *expiry - refresh_ms);
  // The caller was rerouted: runner 1 took the shard and ran the message.
  REQUIRE(advance_until(
    f,
    [&] {
      return long_call->has_value();
    },
    20s));
  REQUIRE(**long_call);
  CHECK_EQ(***long_call, 1);
  auto runners = census->runners(busy);
  REQUIRE_EQ(runners.size(), 2u);
  CHECK_EQ(runners[0], f.address(0));
  CHECK_EQ(runners[1], f.address(1));
  CHECK(f.servers(idle_shard) == std::vector<size_t>{1});
  REQUIRE(second);
  REQUIRE(advance_until(f, [&] {
    return second->has_value();
  }));
  CHECK_EQ(value_of_or(*second), 1);
  CHECK(census->runners(idle)
        == std::vector<std::string>{f.address(0), f.address(1)});
  CHECK_FALSE(census->overlapped());
  f.freeze_shard_manager(0, false);
  REQUIRE(advance_until(f, [&] {
    return settled(f);
  }));
  CHECK_FALSE(census->overlapped());
}
