#include "caf_cluster/hash_ring.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <limits>
#include <string_view>
#include <utility>

#include "caf_cluster/internal/utf16.hpp"
#include "caf_cluster/shard_hash.hpp"

namespace caf_cluster {

namespace {

/// One virtual point: its position and the index of its runner.
struct ring_point {
  int32_t hash;
  uint32_t node;
};

/// The normalized runners and their points, sorted by position.
struct ring {
  std::vector<ring_node> nodes;
  std::vector<ring_point> points;
};

constexpr uint32_t no_owner = std::numeric_limits<uint32_t>::max();

void append_decimal(std::u16string& buf, int64_t value) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  buf.append(digits, end);
}

std::u16string address_units(const std::string& address) {
  if (auto units = internal::utf8_to_utf16(address))
    return std::move(*units);
  // Effect cannot have such an address (JavaScript strings are UTF-16), so any
  // deterministic fallback keeps every runner in agreement; bytes as code
  // units is the simplest one.
  std::u16string result;
  for (unsigned char byte : address)
    result += static_cast<char16_t>(byte);
  return result;
}

ring make_ring(const std::vector<ring_node>& input) {
  ring result;
  result.nodes = input;
  auto& nodes = result.nodes;
  for (auto& node : nodes)
    node.weight = std::clamp(node.weight, int32_t{1}, max_ring_weight);
  // Sorting by address makes the result independent of the input order and
  // puts the largest weight first among duplicates, which `unique` keeps.
  std::sort(nodes.begin(), nodes.end(), [](const auto& x, const auto& y) {
    if (int cmp = x.address.compare(y.address); cmp != 0)
      return cmp < 0;
    return x.weight > y.weight;
  });
  nodes.erase(std::unique(nodes.begin(), nodes.end(),
                          [](const auto& x, const auto& y) {
                            return x.address == y.address;
                          }),
              nodes.end());
  size_t total_points = 0;
  for (const auto& node : nodes)
    total_points += static_cast<size_t>(node.weight) * ring_points_per_weight;
  result.points.reserve(total_points);
  std::u16string buf;
  for (uint32_t index = 0; index < nodes.size(); ++index) {
    buf = address_units(nodes[index].address);
    buf += u':';
    const auto prefix = buf.size();
    const int64_t n = int64_t{nodes[index].weight} * ring_points_per_weight;
    for (int64_t i = n; i > 0; --i) {
      buf.resize(prefix);
      append_decimal(buf, i);
      result.points.push_back({stable_hash(std::u16string_view{buf}), index});
    }
  }
  // Effect breaks ties between equal positions by insertion order, which
  // depends on the order runners joined; the address order is what every
  // runner can agree on.
  std::sort(result.points.begin(), result.points.end(),
            [](const auto& x, const auto& y) {
              return x.hash != y.hash ? x.hash < y.hash : x.node < y.node;
            });
  return result;
}

size_t lower_bound_of(const std::vector<ring_point>& points, int32_t hash) {
  auto i = std::lower_bound(points.begin(), points.end(), hash,
                            [](const ring_point& p, int32_t h) {
                              return p.hash < h;
                            });
  return static_cast<size_t>(i - points.begin());
}

int64_t distance(const ring_point& point, int32_t hash) {
  return std::abs(int64_t{point.hash} - int64_t{hash});
}

/// Returns the point nearest to `hash`. Like Effect, this treats the ring as a
/// line (no wrap-around) and prefers the successor on equal distance.
size_t nearest(const std::vector<ring_point>& points, int32_t hash) {
  const auto lo = lower_bound_of(points, hash);
  const auto a = lo == points.size() ? lo - 1 : lo;
  if (lo == 0)
    return a;
  const auto b = lo - 1;
  return distance(points[a], hash) <= distance(points[b], hash) ? a : b;
}

/// Returns the point of a runner not in `excluded` found first when searching
/// outward from `hash` the way Effect does: the successor, then alternately
/// one step down and one step up. Effect's loop stops one step before index 0;
/// visiting it last changes nothing because a runner has at least
/// `ring_points_per_weight` points, so one of them lies elsewhere.
size_t nearest_allowed(const std::vector<ring_point>& points, int32_t hash,
                       const std::vector<char>& excluded) {
  const auto len = points.size();
  const auto lo = lower_bound_of(points, hash);
  const auto a = lo == len ? lo - 1 : lo;
  if (!excluded[points[a].node])
    return a;
  const auto range = std::max(lo, len - lo);
  for (size_t i = 1; i <= range; ++i) {
    if (i <= lo && !excluded[points[lo - i].node])
      return lo - i;
    if (lo + i < len && !excluded[points[lo + i].node])
      return lo + i;
  }
  return a;
}

} // namespace

std::vector<std::string> assign_shards(const std::vector<ring_node>& nodes,
                                       int32_t shard_count) {
  if (nodes.empty() || shard_count < 1)
    return {};
  const auto r = make_ring(nodes);
  const auto& points = r.points;
  const auto node_count = r.nodes.size();
  const auto count = static_cast<size_t>(shard_count);
  // Caps in floating point exactly as Effect computes them, so that a
  // quotient landing just below an integer floors the same way.
  double total_weight = 0;
  for (const auto& node : r.nodes)
    total_weight += node.weight;
  std::vector<int64_t> caps(node_count);
  for (size_t i = 0; i < node_count; ++i)
    caps[i] = static_cast<int64_t>(std::max(
      1.0, std::floor(static_cast<double>(count)
                      * (r.nodes[i].weight / total_weight))));
  std::vector<int32_t> shard_hashes(count);
  std::u16string buf = u"shard-";
  for (size_t s = 0; s < count; ++s) {
    buf.resize(6);
    append_decimal(buf, static_cast<int64_t>(s));
    shard_hashes[s] = stable_hash(std::u16string_view{buf});
  }
  std::vector<uint32_t> owner(count, no_owner);
  std::vector<int64_t> allocated(node_count, 0);
  std::vector<char> excluded(node_count, 0);
  size_t excluded_count = 0;
  auto take = [&](uint32_t node) {
    if (++allocated[node] >= caps[node] && !excluded[node]) {
      excluded[node] = 1;
      ++excluded_count;
    }
  };
  // Closest shards claim their runner first, so the shards a runner loses to
  // its cap are the ones farthest from it.
  struct candidate {
    int64_t distance;
    uint32_t shard;
    uint32_t node;
  };
  std::vector<candidate> candidates(count);
  for (size_t s = 0; s < count; ++s) {
    const auto& p = points[nearest(points, shard_hashes[s])];
    candidates[s] = {distance(p, shard_hashes[s]), static_cast<uint32_t>(s),
                     p.node};
  }
  // Effect's stable sort keeps shard order among equal distances.
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& x, const auto& y) {
              return x.distance != y.distance ? x.distance < y.distance
                                              : x.shard < y.shard;
            });
  for (const auto& c : candidates) {
    if (excluded[c.node])
      continue;
    owner[c.shard] = c.node;
    take(c.node);
  }
  // Flooring the caps can leave up to node_count - 1 shards beyond their sum;
  // those go to the nearest runner once every runner is at its cap.
  bool all_at_max = excluded_count == node_count;
  for (size_t s = 0; s < count; ++s) {
    if (owner[s] != no_owner)
      continue;
    const auto index = all_at_max
                         ? nearest(points, shard_hashes[s])
                         : nearest_allowed(points, shard_hashes[s], excluded);
    owner[s] = points[index].node;
    if (!all_at_max) {
      take(owner[s]);
      all_at_max = excluded_count == node_count;
    }
  }
  std::vector<std::string> result;
  result.reserve(count);
  for (auto node : owner)
    result.push_back(r.nodes[node].address);
  return result;
}

} // namespace caf_cluster
