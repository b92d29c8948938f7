#include "caf_cluster/metrics_exposition.hpp"

#include <cstdint>

#include "caf_cluster/prometheus_text.hpp"

namespace caf_cluster {

std::string prometheus_exposition(const metrics_snapshot& m,
                                  std::string_view runner) {
  prometheus_text out;
  std::string node{runner};
  auto per_type = [&](const char* name, metric_type type, const char* help,
                      int64_t entity_type_metrics::*field) {
    out.family(name, type, help);
    for (auto& t : m.entity_types)
      out.sample({{"runner", node}, {"entity_type", t.entity_type}},
                 t.*field);
  };
  per_type("caf_cluster_entities", metric_type::gauge,
           "Entities active on this runner", &entity_type_metrics::resident);
  per_type("caf_cluster_messages_processed_total", metric_type::counter,
           "Messages replied to (successes and errors)",
           &entity_type_metrics::processed);
  per_type("caf_cluster_messages_failed_total", metric_type::counter,
           "Messages whose reply was an error",
           &entity_type_metrics::failed);
  out.family("caf_cluster_handler_duration_seconds", metric_type::histogram,
             "Time from handing a message to its entity until its reply");
  for (auto& t : m.entity_types)
    out.histogram({{"runner", node}, {"entity_type", t.entity_type}},
                  t.handler_latency);
  out.family("caf_cluster_messages_refused_total", metric_type::counter,
             "Messages refused before a handler ran");
  for (auto& t : m.entity_types)
    out.sample({{"runner", node},
                {"entity_type", t.entity_type},
                {"reason", "mailbox_full"}},
               t.mailbox_full);
  per_type("caf_cluster_entity_activations_total", metric_type::counter,
           "Entity activations", &entity_type_metrics::activations);
  per_type("caf_cluster_entity_passivations_total", metric_type::counter,
           "Entities passivated after their idle time",
           &entity_type_metrics::passivations);
  out.family("caf_cluster_shards_held", metric_type::gauge,
             "Shards this runner serves, over all its shard groups");
  out.sample({{"runner", node}}, m.active_shards);
  out.family("caf_cluster_singletons", metric_type::gauge,
             "Singletons running on this runner");
  out.sample({{"runner", node}}, m.singletons);
  return out.text();
}

} // namespace caf_cluster
