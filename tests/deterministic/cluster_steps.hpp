// Steps and checks shared by the multi-runner deterministic tests.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

#include <doctest/doctest.h>

#include "deterministic/cluster_fixture.hpp"

namespace caf_cluster::testing::steps {

using namespace std::chrono_literals;

constexpr auto step = 100ms;

// Returns the first shard served by two runners, or 0.
inline int32_t doubly_served(const cluster_fixture& f) {
  for (int32_t i = 1; i <= f.config().shards_per_group; ++i)
    if (f.servers(i).size() > 1)
      return i;
  return 0;
}

// Whether every shard is served by exactly one runner, which holds its lease.
inline bool settled(const cluster_fixture& f) {
  for (int32_t i = 1; i <= f.config().shards_per_group; ++i) {
    auto who = f.servers(i);
    auto holder = f.lease_holder(i);
    if (who.size() != 1 || !holder || *holder != f.address(who.front()))
      return false;
  }
  return true;
}

// Advances in steps until `pred` holds, checking the invariant after each;
// returns the time it took, or nothing within `limit`.
template <class Pred>
std::optional<caf::timespan> advance_until(cluster_fixture& f, Pred pred,
                                           caf::timespan limit = 10s) {
  caf::timespan waited{0};
  while (!pred()) {
    if (waited >= limit)
      return std::nullopt;
    f.advance(step);
    waited += step;
    REQUIRE(doubly_served(f) == 0);
  }
  return waited;
}

// Waits (in steps) until every slot holds a reply.
inline void await_replies(cluster_fixture& f, const std::vector<reply_slot>& slots) {
  for (int i = 0; i < 100; ++i) {
    if (std::all_of(slots.begin(), slots.end(), [](auto& s) { return s->has_value(); }))
      return;
    f.advance(step);
  }
}

} // namespace caf_cluster::testing::steps
