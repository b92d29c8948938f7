// Counters a runner exposes about itself. Entity managers update them with
// relaxed atomics on their hot path; readers take a consistent-enough snapshot
// without a round trip to any actor.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "caf_cluster/latency_histogram.hpp"

namespace caf_cluster {

/// Live counters of one entity type on this runner (updated by its manager).
struct entity_type_counters {
  /// Entities currently activated.
  std::atomic<int64_t> resident{0};
  /// Messages whose reply was delivered (successes and errors).
  std::atomic<int64_t> processed{0};
  /// Entity activations since start.
  std::atomic<int64_t> activations{0};
  /// Passivations after max_idle since start.
  std::atomic<int64_t> passivations{0};
  /// Messages refused with mailbox_full.
  std::atomic<int64_t> mailbox_full{0};
  /// Messages whose reply was an error (also counted in `processed`).
  std::atomic<int64_t> failed{0};
  /// Time from handing a message to its entity until its reply.
  latency_histogram handler_latency;
};

/// Snapshot of one entity type's counters.
struct entity_type_metrics {
  /// The entity type name.
  std::string entity_type;
  /// Entities currently activated.
  int64_t resident = 0;
  /// Messages processed (replied to) since start.
  int64_t processed = 0;
  /// Activations since start.
  int64_t activations = 0;
  /// Passivations since start.
  int64_t passivations = 0;
  /// Messages refused with mailbox_full since start.
  int64_t mailbox_full = 0;
  /// Messages whose reply was an error since start.
  int64_t failed = 0;
  /// Handler latency: from handing a message to its entity until its reply.
  histogram_snapshot handler_latency;
};

/// Snapshot of a runner's metrics.
struct metrics_snapshot {
  /// Per entity type, sorted by name.
  std::vector<entity_type_metrics> entity_types;
  /// Shards this runner currently serves, in all the groups it hosts.
  int64_t active_shards = 0;
  /// Singletons running on this runner now.
  int64_t singletons = 0;

  /// Returns the resident entities summed over all types.
  int64_t resident_entities() const noexcept;

  /// Returns the processed messages summed over all types.
  int64_t messages_processed() const noexcept;

  /// Returns the entry for `entity_type`, or nullptr.
  const entity_type_metrics* find(const std::string& entity_type) const;
};

/// Copies the live counters of `entity_type` into a snapshot entry.
entity_type_metrics snapshot(const std::string& entity_type,
                             const entity_type_counters& counters);

} // namespace caf_cluster
