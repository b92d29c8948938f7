#include "caf_cluster/metrics_exposition.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "caf_cluster/prometheus_text.hpp"

namespace caf_cluster {

namespace {

// Every family the exposition writes itself, in output order.
constexpr std::array<std::string_view, 17> core_families{
  "caf_cluster_entities",
  "caf_cluster_messages_processed_total",
  "caf_cluster_messages_failed_total",
  "caf_cluster_handler_duration_seconds",
  "caf_cluster_messages_refused_total",
  "caf_cluster_entity_activations_total",
  "caf_cluster_entity_passivations_total",
  "caf_cluster_persisted_messages_pending",
  "caf_cluster_ask_duration_seconds",
  "caf_cluster_shards_held",
  "caf_cluster_shards_draining",
  "caf_cluster_singletons",
  "caf_cluster_live_runners",
  "caf_cluster_shard_failovers_total",
  "caf_cluster_lease_refresh_duration_seconds",
  "caf_cluster_storage_commit_duration_seconds",
  "caf_cluster_storage_commit_rows",
};

} // namespace

bool core_metric_family(std::string_view name) noexcept {
  // By prefix: a histogram's _count, _sum and _bucket series, too.
  for (auto family : core_families)
    if (name.substr(0, family.size()) == family)
      return true;
  return false;
}

std::string prometheus_exposition(const metrics_snapshot& m,
                                  std::string_view runner) {
  prometheus_text out;
  std::string node{runner};
  metric_labels just_runner{{"runner", node}};
  auto per_type = [&](const char* name, metric_type type, const char* help,
                      int64_t entity_type_metrics::*field) {
    out.family(name, type, help);
    for (auto& t : m.entity_types)
      out.sample({{"runner", node}, {"entity_type", t.entity_type}}, t.*field);
  };
  auto single = [&](const char* name, metric_type type, const char* help,
                    int64_t value) {
    out.family(name, type, help);
    out.sample(just_runner, value);
  };
  auto histogram = [&](const char* name, const char* help,
                       const histogram_snapshot& h) {
    out.family(name, metric_type::histogram, help);
    out.histogram(just_runner, h);
  };
  per_type("caf_cluster_entities", metric_type::gauge,
           "Entities active on this runner", &entity_type_metrics::resident);
  per_type("caf_cluster_messages_processed_total", metric_type::counter,
           "Messages replied to (successes and errors)",
           &entity_type_metrics::processed);
  per_type("caf_cluster_messages_failed_total", metric_type::counter,
           "Messages whose reply was an error", &entity_type_metrics::failed);
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
  per_type("caf_cluster_persisted_messages_pending", metric_type::gauge,
           "Persisted messages queued or running here whose reply is not "
           "stored yet",
           &entity_type_metrics::persisted_pending);
  out.family("caf_cluster_ask_duration_seconds", metric_type::histogram,
             "Blocking asks made on this node, from the send until its reply");
  for (auto& [type, h] : m.ask_latency)
    out.histogram({{"runner", node}, {"entity_type", type}}, h);
  single("caf_cluster_shards_held", metric_type::gauge,
         "Shards this runner serves, over all its shard groups",
         m.active_shards);
  single("caf_cluster_shards_draining", metric_type::gauge,
         "Shards this runner is handing over to other runners",
         m.draining_shards);
  single("caf_cluster_singletons", metric_type::gauge,
         "Singletons running on this runner", m.singletons);
  single("caf_cluster_live_runners", metric_type::gauge,
         "Live runners at this node's last read of runner storage",
         m.live_runners);
  single("caf_cluster_shard_failovers_total", metric_type::counter,
         "Shards acquired from a runner whose lease had expired", m.failovers);
  histogram("caf_cluster_lease_refresh_duration_seconds",
            "Time of one lease refresh against runner storage",
            m.lease_refresh_latency);
  histogram("caf_cluster_storage_commit_duration_seconds",
            "Time of one message storage commit of the storage writer",
            m.storage_commit_latency);
  histogram("caf_cluster_storage_commit_rows",
            "Rows (requests and replies) per message storage commit",
            m.storage_commit_rows);
  const std::string* current = nullptr;
  for (auto& c : m.component_counters) {
    if (!current || *current != c.family) {
      out.family(c.family, metric_type::counter, c.help);
      current = &c.family;
    }
    metric_labels labels{{"runner", node}};
    labels.insert(labels.end(), c.labels.begin(), c.labels.end());
    out.sample(labels, c.value);
  }
  return out.text();
}

} // namespace caf_cluster
