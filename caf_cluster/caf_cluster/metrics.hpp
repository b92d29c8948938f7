// Counters a runner exposes about itself. Entity managers update them with
// relaxed atomics on their hot path; readers take a consistent-enough snapshot
// without a round trip to any actor.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "caf_cluster/latency_histogram.hpp"
#include "caf_cluster/prometheus_text.hpp"

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
  /// Persisted messages the manager holds (queued or running at an entity)
  /// whose reply is not stored yet; a gauge the manager sets.
  std::atomic<int64_t> persisted_pending{0};
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
  /// Persisted messages of the type that this runner's manager holds,
  /// queued or running at an entity, whose reply is not stored yet: the
  /// persisted backlog this runner knows of without asking storage. Messages
  /// still waiting in storage (behind a full mailbox, or due later) are not
  /// counted: counting them would take a storage query per scrape.
  int64_t persisted_pending = 0;
};

/// One sample of a counter that a component built on the public API
/// registered (`sharding::counter`), e.g. cluster cron's ticks.
struct counter_sample {
  /// The family, a Prometheus counter name ending in `_total`.
  std::string family;
  /// The family's HELP text.
  std::string help;
  /// The series' labels (the exposition adds `runner`).
  metric_labels labels;
  /// The counter's value.
  int64_t value = 0;
};

/// Snapshot of a runner's metrics.
struct metrics_snapshot {
  /// Per entity type, sorted by name.
  std::vector<entity_type_metrics> entity_types;
  /// Shards this runner currently serves, in all the groups it hosts.
  int64_t active_shards = 0;
  /// Singletons running on this runner now.
  int64_t singletons = 0;
  /// Shards this runner is handing over: given up by the ring, waiting for
  /// their entities to stop before the lease is released.
  int64_t draining_shards = 0;
  /// Live runners at this node's last read of runner storage (one lease
  /// refresh interval old at most); 1 on a single runner.
  int64_t live_runners = 0;
  /// Shards this runner acquired from a runner whose lease had expired (a
  /// failover after a death or a hang), since start; a shard the previous
  /// owner released (a hand-over) does not count.
  int64_t failovers = 0;
  /// Blocking asks made on this node (`entity_client::ask`), by entity
  /// type, sorted: from where the send enters the cluster here until its
  /// reply (or error) is back. Requests made from inside actors are not
  /// timed (their reply goes straight to the actor).
  std::vector<std::pair<std::string, histogram_snapshot>> ask_latency;
  /// Time of each lease refresh call against runner storage.
  histogram_snapshot lease_refresh_latency;
  /// Time of each storage writer commit (one transaction of saves).
  histogram_snapshot storage_commit_latency;
  /// Rows (requests and replies) per storage writer commit.
  histogram_snapshot storage_commit_rows;
  /// Counters of components built on the public API, sorted by family and
  /// labels.
  std::vector<counter_sample> component_counters;

  /// Returns the resident entities summed over all types.
  int64_t resident_entities() const noexcept;

  /// Returns the processed messages summed over all types.
  int64_t messages_processed() const noexcept;

  /// Returns the entry for `entity_type`, or nullptr.
  const entity_type_metrics* find(const std::string& entity_type) const;

  /// Returns the ask latency of `entity_type`, or nullptr.
  const histogram_snapshot* find_ask(const std::string& entity_type) const;

  /// Returns the value of the component counter `family` with `labels`, or
  /// -1 when it is not registered.
  int64_t component_counter(const std::string& family,
                            const metric_labels& labels) const;
};

/// Copies the live counters of `entity_type` into a snapshot entry.
entity_type_metrics snapshot(const std::string& entity_type,
                             const entity_type_counters& counters);

} // namespace caf_cluster
