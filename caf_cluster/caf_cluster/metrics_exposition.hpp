// A runner's metrics snapshot in Prometheus' text format, as the gateway's
// GET /metrics serves it.
#pragma once

#include <string>
#include <string_view>

#include "caf_cluster/metrics.hpp"

namespace caf_cluster {

/// The exposition of `m`, every series labelled `runner="<runner>"` (the
/// runner's address, so that series of several runners do not collide):
///
/// | family | type | labels |
/// | --- | --- | --- |
/// | `caf_cluster_entities` | gauge | `entity_type` |
/// | `caf_cluster_messages_processed_total` | counter | `entity_type` |
/// | `caf_cluster_messages_failed_total` | counter | `entity_type` |
/// | `caf_cluster_handler_duration_seconds` | histogram | `entity_type` |
/// | `caf_cluster_messages_refused_total` | counter | `entity_type`, `reason` |
/// | `caf_cluster_entity_activations_total` | counter | `entity_type` |
/// | `caf_cluster_entity_passivations_total` | counter | `entity_type` |
/// | `caf_cluster_persisted_messages_pending` | gauge | `entity_type` |
/// | `caf_cluster_ask_duration_seconds` | histogram | `entity_type` |
/// | `caf_cluster_shards_held` | gauge | |
/// | `caf_cluster_shards_draining` | gauge | |
/// | `caf_cluster_singletons` | gauge | |
/// | `caf_cluster_live_runners` | gauge | |
/// | `caf_cluster_shard_failovers_total` | counter | |
/// | `caf_cluster_lease_refresh_duration_seconds` | histogram | |
/// | `caf_cluster_storage_commit_duration_seconds` | histogram | |
/// | `caf_cluster_storage_commit_rows` | histogram | |
///
/// followed by the families of `m.component_counters` (counters).
std::string prometheus_exposition(const metrics_snapshot& m,
                                  std::string_view runner);

/// Returns whether `prometheus_exposition` writes the family `name` itself
/// (components may not register a counter of that name).
bool core_metric_family(std::string_view name) noexcept;

} // namespace caf_cluster
