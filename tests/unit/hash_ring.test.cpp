// Placement must give every runner the same map from the same runner list and
// match Effect's HashRing. Golden maps and counts below were computed by a
// hand port of Effect's `HashRing.getShards` under node; movement bounds state
// the figures measured on the address sets used here.
#include "caf_cluster/hash_ring.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace caf_cluster;

namespace {

std::string loopback(int port) {
  return "127.0.0.1:" + std::to_string(port);
}

/// Returns `n` runners of weight 1 on ports `first_port`, `first_port + 1`...
std::vector<ring_node> runners(int first_port, int n) {
  std::vector<ring_node> result;
  for (int i = 0; i < n; ++i)
    result.push_back({loopback(first_port + i), 1});
  return result;
}

std::map<std::string, int> counts(const std::vector<std::string>& owners) {
  std::map<std::string, int> result;
  for (const auto& owner : owners)
    ++result[owner];
  return result;
}

int moved(const std::vector<std::string>& before,
          const std::vector<std::string>& after) {
  int result = 0;
  for (size_t i = 0; i < before.size(); ++i)
    if (before[i] != after[i])
      ++result;
  return result;
}

std::vector<ring_node> without(std::vector<ring_node> nodes,
                               const std::string& address) {
  nodes.erase(std::remove_if(nodes.begin(), nodes.end(),
                             [&](const auto& x) {
                               return x.address == address;
                             }),
              nodes.end());
  return nodes;
}

/// Effect's cap, in floating point as Effect computes it.
int64_t cap_of(int32_t weight, double total_weight, int32_t shard_count) {
  return static_cast<int64_t>(
    std::max(1.0, std::floor(shard_count * (weight / total_weight))));
}

} // namespace

TEST_SUITE("caf_cluster.hash_ring") {

TEST_CASE("no runners or no shards give an empty map") {
  CHECK(assign_shards({}, 300).empty());
  CHECK(assign_shards(runners(34001, 3), 0).empty());
  CHECK(assign_shards(runners(34001, 3), -5).empty());
}

TEST_CASE("one runner owns every shard") {
  auto owners = assign_shards(runners(34001, 1), 300);
  REQUIRE_EQ(owners.size(), 300u);
  CHECK_EQ(counts(owners), std::map<std::string, int>{{loopback(34001), 300}});
}

TEST_CASE("three runners get the map Effect computes") {
  // Digit k stands for 127.0.0.1:3400(k+1); character i is shard id i + 1.
  const std::string expected
    = "012112000122022122011221022120212000222210111112010200121210"
      "222201002202211002100020100222020010001110121022220002202202"
      "121001101020202102221000222002120212112110210110020112110212"
      "010200000010101110100100010000110010100211111212111211202112"
      "101220100011222122222220022221110222011102210111101102211212";
  auto owners = assign_shards(runners(34001, 3), 300);
  REQUIRE_EQ(owners.size(), 300u);
  std::string digits;
  for (const auto& owner : owners)
    digits += static_cast<char>('0' + owner.back() - '1');
  CHECK_EQ(digits, expected);
}

TEST_CASE("the order of the runner list does not matter") {
  std::vector<ring_node> nodes{{loopback(34001), 2},
                               {loopback(34002), 1},
                               {"[::1]:34003", 1},
                               {"runner-b:34004", 3}};
  std::sort(nodes.begin(), nodes.end(), [](const auto& x, const auto& y) {
    return x.address < y.address;
  });
  const auto expected = assign_shards(nodes, 300);
  REQUIRE_EQ(expected.size(), 300u);
  int permutations = 0;
  do {
    CHECK_EQ(assign_shards(nodes, 300), expected);
    ++permutations;
  } while (std::next_permutation(nodes.begin(), nodes.end(),
                                 [](const auto& x, const auto& y) {
                                   return x.address < y.address;
                                 }));
  CHECK_EQ(permutations, 24);
}

TEST_CASE("a runner listed twice counts once, with its largest weight") {
  auto nodes = runners(34001, 3);
  auto doubled = nodes;
  doubled.push_back({loopback(34002), 1});
  CHECK_EQ(assign_shards(doubled, 300), assign_shards(nodes, 300));
  auto weighted = nodes;
  weighted[0].weight = 2;
  auto listed_twice = nodes;
  listed_twice.push_back({loopback(34001), 2});
  CHECK_EQ(assign_shards(listed_twice, 300), assign_shards(weighted, 300));
}

TEST_CASE("every shard has exactly one owner from the list") {
  for (int n = 1; n <= 12; ++n) {
    auto nodes = runners(40000 + 100 * n, n);
    std::set<std::string> listed;
    for (const auto& node : nodes)
      listed.insert(node.address);
    for (int32_t shard_count : {1, 7, 300, 1000}) {
      auto owners = assign_shards(nodes, shard_count);
      CHECK_EQ(owners.size(), static_cast<size_t>(shard_count));
      for (const auto& owner : owners)
        CHECK_MESSAGE(listed.count(owner) == 1, owner << " is not listed");
    }
  }
}

TEST_CASE("equal runners get exactly their cap when the caps cover all") {
  // 300 / n is whole for these n, so every runner gets exactly 300 / n.
  for (int n : {2, 3, 4, 5, 6}) {
    auto owners = assign_shards(runners(34001, n), 300);
    auto per_runner = counts(owners);
    CHECK_EQ(per_runner.size(), static_cast<size_t>(n));
    for (const auto& [address, shards] : per_runner)
      CHECK_MESSAGE(shards == 300 / n, n << " runners: " << address
                                         << " has " << shards);
  }
}

TEST_CASE("with seven runners each gets its cap of 42 plus some of 6 extra") {
  // floor(300 / 7) = 42 leaves 6 shards beyond the caps; they go to the
  // runner nearest to each, so a runner gets between 42 and 48.
  auto per_runner = counts(assign_shards(runners(34001, 7), 300));
  CHECK_EQ(per_runner,
           std::map<std::string, int>{{loopback(34001), 43},
                                      {loopback(34002), 45},
                                      {loopback(34003), 42},
                                      {loopback(34004), 42},
                                      {loopback(34005), 42},
                                      {loopback(34006), 42},
                                      {loopback(34007), 44}});
}

TEST_CASE("caps hold for any runner set") {
  // When the caps add up to at least the shard count no runner exceeds its
  // cap; when they fall short every runner reaches its cap and the rest are
  // spread by proximity.
  uint32_t state = 12345;
  auto next = [&state](uint32_t bound) {
    state = state * 1664525u + 1013904223u;
    return (state >> 8) % bound;
  };
  for (int run = 0; run < 200; ++run) {
    const auto n = static_cast<int>(1 + next(10));
    std::vector<ring_node> nodes;
    for (int i = 0; i < n; ++i)
      nodes.push_back({loopback(static_cast<int>(1 + next(65535))),
                       static_cast<int32_t>(1 + next(4))});
    std::sort(nodes.begin(), nodes.end(), [](const auto& x, const auto& y) {
      return x.address < y.address;
    });
    nodes.erase(std::unique(nodes.begin(), nodes.end(),
                            [](const auto& x, const auto& y) {
                              return x.address == y.address;
                            }),
                nodes.end());
    const auto shard_count = static_cast<int32_t>(1 + next(1000));
    double total_weight = 0;
    for (const auto& node : nodes)
      total_weight += node.weight;
    int64_t cap_sum = 0;
    for (const auto& node : nodes)
      cap_sum += cap_of(node.weight, total_weight, shard_count);
    auto per_runner = counts(assign_shards(nodes, shard_count));
    for (const auto& node : nodes) {
      const auto cap = cap_of(node.weight, total_weight, shard_count);
      const int64_t got = per_runner[node.address];
      if (cap_sum >= shard_count) {
        CHECK_MESSAGE(got <= cap, "run " << run << ": " << node.address
                                         << " has " << got << " > " << cap);
      } else {
        CHECK_MESSAGE(got >= cap, "run " << run << ": " << node.address
                                         << " has " << got << " < " << cap);
        CHECK_LE(got, cap + shard_count - cap_sum);
      }
    }
  }
}

TEST_CASE("a runner of weight 2 gets twice the shards of one of weight 1") {
  auto nodes = runners(34001, 3);
  nodes[0].weight = 2;
  CHECK_EQ(counts(assign_shards(nodes, 300)),
           std::map<std::string, int>{{loopback(34001), 150},
                                      {loopback(34002), 75},
                                      {loopback(34003), 75}});
  nodes = runners(34001, 5);
  nodes[0].weight = 2;
  CHECK_EQ(counts(assign_shards(nodes, 300))[loopback(34001)], 100);
  nodes = runners(34001, 2);
  nodes[0].weight = 3;
  CHECK_EQ(counts(assign_shards(nodes, 300)),
           std::map<std::string, int>{{loopback(34001), 225},
                                      {loopback(34002), 75}});
}

TEST_CASE("caps are floored in floating point like Effect's") {
  // 90 * (7 / 10) is 62.99999999999999 in doubles: Effect caps the weight-7
  // runner at 62 where exact arithmetic would say 63, and so do we.
  std::vector<ring_node> nodes{{loopback(34001), 7}, {loopback(34002), 3}};
  CHECK_EQ(counts(assign_shards(nodes, 90)),
           std::map<std::string, int>{{loopback(34001), 62},
                                      {loopback(34002), 28}});
}

TEST_CASE("weights below 1 count as 1, above the maximum as the maximum") {
  auto nodes = runners(34001, 3);
  const auto expected = assign_shards(nodes, 300);
  nodes[0].weight = 0;
  nodes[1].weight = -7;
  CHECK_EQ(assign_shards(nodes, 300), expected);
  nodes = runners(34001, 3);
  nodes[0].weight = max_ring_weight;
  const auto heaviest = assign_shards(nodes, 300);
  nodes[0].weight = INT32_MAX;
  CHECK_EQ(assign_shards(nodes, 300), heaviest);
}

TEST_CASE("a fourth runner joining three takes 75 shards and moves few more") {
  // Measured over these 20 sets: 75..85 shards moved (mean 79.65); the new
  // runner always takes exactly 75 and at most 10 others shift between the
  // three old runners.
  int max_moved = 0;
  for (int k = 0; k < 20; ++k) {
    auto three = runners(20000 + 10 * k, 3);
    auto four = runners(20000 + 10 * k, 4);
    auto before = assign_shards(three, 300);
    auto after = assign_shards(four, 300);
    CHECK_EQ(counts(after)[four[3].address], 75);
    const auto n = moved(before, after);
    max_moved = std::max(max_moved, n);
    CHECK_MESSAGE(n <= 90, "set " << k << ": moved " << n
                                  << " of 300, bound 90, measured max 85");
  }
  CHECK_EQ(max_moved, 85);
}

TEST_CASE("a runner leaving moves its shards and few others") {
  // Measured over these 20 sets of 4 runners, each runner removed in turn:
  // besides the 75 shards of the leaving runner, 0..13 others move (mean 5.3).
  int max_extra = 0;
  for (int k = 0; k < 20; ++k) {
    auto four = runners(20000 + 10 * k, 4);
    auto before = assign_shards(four, 300);
    for (const auto& leaving : four) {
      auto after = assign_shards(without(four, leaving.address), 300);
      int own = 0;
      for (size_t i = 0; i < before.size(); ++i) {
        if (before[i] == leaving.address) {
          ++own;
          CHECK_NE(after[i], leaving.address);
        }
      }
      CHECK_EQ(own, 75);
      const auto extra = moved(before, after) - own;
      max_extra = std::max(max_extra, extra);
      CHECK_MESSAGE(extra <= 20, "set " << k << " without " << leaving.address
                                        << ": " << extra
                                        << " extra moved, bound 20, measured "
                                           "max 13");
    }
  }
  CHECK_EQ(max_extra, 13);
}

TEST_CASE("more runners than shards: every shard assigned, one per runner") {
  // Every cap is max(1, floor(4 / 10)) = 1, so four runners get one each.
  auto owners = assign_shards(runners(34001, 10), 4);
  CHECK_EQ(owners, std::vector<std::string>{loopback(34001), loopback(34009),
                                            loopback(34005), loopback(34007)});
  owners = assign_shards(runners(34001, 10), 10);
  CHECK_EQ(counts(owners).size(), 10u);
  // One shard more than runners: all at their cap of 1, the last shard goes to
  // its nearest runner.
  auto per_runner = counts(assign_shards(runners(34001, 10), 11));
  CHECK_EQ(per_runner.size(), 10u);
  CHECK_EQ(per_runner[loopback(34009)], 2);
}

TEST_CASE("addresses that are not UTF-8 still get a deterministic map") {
  std::vector<ring_node> nodes{{"bad\xff:1", 1}, {loopback(34001), 1}};
  auto owners = assign_shards(nodes, 300);
  std::reverse(nodes.begin(), nodes.end());
  CHECK_EQ(assign_shards(nodes, 300), owners);
  CHECK_EQ(counts(owners),
           std::map<std::string, int>{{"bad\xff:1", 150},
                                      {loopback(34001), 150}});
}

} // TEST_SUITE
