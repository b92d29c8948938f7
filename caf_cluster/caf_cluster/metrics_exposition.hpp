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
/// | `caf_cluster_shards_held` | gauge | |
/// | `caf_cluster_singletons` | gauge | |
std::string prometheus_exposition(const metrics_snapshot& m,
                                  std::string_view runner);

} // namespace caf_cluster
