// Shard placement: which live runner should own each shard. Every runner
// computes the map on its own from the runner list, so it must be a pure,
// order-independent function, and it follows Effect's `HashRing.getShards`
// so that one runner set yields the same map as an Effect cluster would.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace caf_cluster {

/// Virtual points a runner of weight 1 gets on the ring (Effect's
/// `baseWeight`); a runner of weight `w` gets `w` times as many.
constexpr int32_t ring_points_per_weight = 128;

/// Largest weight `assign_shards` honors. Larger weights are clamped so that a
/// misconfigured runner cannot make the ring allocate billions of points.
constexpr int32_t max_ring_weight = 1000;

/// A live runner as the hash ring sees it.
struct ring_node {
  /// The runner's identity on the ring, `host:port` as Effect's
  /// `RunnerAddress` prints it (an IPv6 host without brackets).
  std::string address;

  /// Relative share of the shards. Values below 1 count as 1 and values above
  /// `max_ring_weight` as `max_ring_weight`.
  int32_t weight = 1;
};

/// Computes the owner of every shard of one shard group, following Effect's
/// `HashRing.getShards`: each shard goes to the runner with the nearest ring
/// point, nearest shards first, while no runner exceeds its cap of
/// `max(1, floor(shard_count * weight / total_weight))` (in doubles, as
/// Effect computes it); shards left over go to the nearest runner below its
/// cap, or to the nearest runner once all are at their cap.
///
/// The order of `nodes` does not matter. Entries with the same address count
/// once, with the largest of their weights. Where Effect differs: it breaks
/// ties between equal ring positions by the order runners joined (we by
/// address), it accepts fractional weights down to 0.1, and it never sees an
/// address that is not UTF-8 (we hash such bytes as code units).
/// @param nodes the live runners of the shard group.
/// @param shard_count the shards per group.
/// @returns the owner's address for each shard, element `i` for shard id
///          `i + 1`; empty if `nodes` is empty or `shard_count < 1`.
std::vector<std::string> assign_shards(const std::vector<ring_node>& nodes,
                                       int32_t shard_count);

} // namespace caf_cluster
