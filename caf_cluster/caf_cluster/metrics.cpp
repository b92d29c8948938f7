#include "caf_cluster/metrics.hpp"

namespace caf_cluster {

int64_t metrics_snapshot::resident_entities() const noexcept {
  int64_t result = 0;
  for (auto& x : entity_types)
    result += x.resident;
  return result;
}

int64_t metrics_snapshot::messages_processed() const noexcept {
  int64_t result = 0;
  for (auto& x : entity_types)
    result += x.processed;
  return result;
}

const entity_type_metrics*
metrics_snapshot::find(const std::string& entity_type) const {
  for (auto& x : entity_types)
    if (x.entity_type == entity_type)
      return &x;
  return nullptr;
}

const histogram_snapshot*
metrics_snapshot::find_ask(const std::string& entity_type) const {
  for (auto& [type, h] : ask_latency)
    if (type == entity_type)
      return &h;
  return nullptr;
}

int64_t metrics_snapshot::component_counter(const std::string& family,
                                            const metric_labels& labels) const {
  for (auto& x : component_counters)
    if (x.family == family && x.labels == labels)
      return x.value;
  return -1;
}

entity_type_metrics snapshot(const std::string& entity_type,
                             const entity_type_counters& counters) {
  constexpr auto relaxed = std::memory_order_relaxed;
  entity_type_metrics result;
  result.entity_type = entity_type;
  result.resident = counters.resident.load(relaxed);
  result.processed = counters.processed.load(relaxed);
  result.activations = counters.activations.load(relaxed);
  result.passivations = counters.passivations.load(relaxed);
  result.mailbox_full = counters.mailbox_full.load(relaxed);
  result.failed = counters.failed.load(relaxed);
  result.handler_latency = counters.handler_latency.snapshot();
  result.persisted_pending = counters.persisted_pending.load(relaxed);
  return result;
}

} // namespace caf_cluster
