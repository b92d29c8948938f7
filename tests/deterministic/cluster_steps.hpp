// Steps and checks shared by the multi-runner deterministic tests.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "caf_cluster/shard_id.hpp"

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

// An entity id (`e-<n>`, n from `start`) whose shard runner `owner` serves
// alone now.
inline std::string id_served_by(const cluster_fixture& f, size_t owner,
                                int start = 0) {
  for (int i = start; i < start + 10'000; ++i) {
    auto id = "e-" + std::to_string(i);
    auto shard = make_shard_id(id, "default", f.config().shards_per_group);
    auto who = f.servers(shard->index);
    if (who.size() == 1 && who.front() == owner)
      return id;
  }
  FAIL("no entity id served by runner " << owner);
  return {};
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

// Injects fault `kind` into runner `r` at step `s` and logs it: 0 crash,
// 1 restart, 2 graceful leave, 3 pause or resume, 4 cut from or reconnect
// to runner storage.
inline void inject_fault(cluster_fixture& f, size_t kind, size_t r, int s,
                         std::ostream& log) {
  switch (kind) {
    case 0:
      log << "t" << s << " crash " << r << "; ";
      f.crash(r);
      break;
    case 1:
      log << "t" << s << " restart " << r << "; ";
      f.start(r);
      break;
    case 2:
      log << "t" << s << " leave " << r << "; ";
      f.leave(r);
      break;
    case 3:
      log << "t" << s << (f.paused(r) ? " resume " : " pause ") << r << "; ";
      f.pause(r, !f.paused(r));
      break;
    default:
      log << "t" << s << (f.cut(r) ? " reconnect " : " cut ") << r << "; ";
      f.cut_storage(r, !f.cut(r));
  }
}

// Uniform random picks in [0, n) from a seeded generator: one seed, one
// schedule of faults.
class picker {
public:
  explicit picker(uint64_t seed) : rng_(seed) {
    // nop
  }

  size_t operator()(size_t n) {
    return std::uniform_int_distribution<size_t>{0, n - 1}(rng_);
  }

private:
  std::mt19937_64 rng_;
};

// The seeds a seeded test runs: `CAF_CLUSTER_SEED=<n>` replays seed n alone,
// `CAF_CLUSTER_SEEDS=<n>` runs seeds 1..n instead of 1..`fallback`.
struct seed_range {
  uint64_t first = 1;
  uint64_t count = 0;
  uint64_t last() const {
    return first + count - 1;
  }
};

inline seed_range seeds(uint64_t fallback) {
  if (auto x = std::getenv("CAF_CLUSTER_SEED"))
    return {std::strtoull(x, nullptr, 10), 1};
  if (auto x = std::getenv("CAF_CLUSTER_SEEDS"))
    return {1, std::strtoull(x, nullptr, 10)};
  return {1, fallback};
}

} // namespace caf_cluster::testing::steps
