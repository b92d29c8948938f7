// A runner's metrics, read from the counters its actors keep, without a
// round trip to any of them.
#include "caf_cluster/sharding.hpp"

#include <algorithm>

#include "caf_cluster/internal/runtime.hpp"
#include "caf_cluster/singleton.hpp"

namespace caf_cluster {

metrics_snapshot sharding::metrics() const {
  metrics_snapshot result;
  auto& n = *state_->node;
  n.registry->for_each(
    [&](const std::string& name, const internal::registered_type& t) {
      if (name != singleton_entity_type)
        result.entity_types.push_back(snapshot(name, *t.counters));
    });
  result.singletons = n.running_singletons->load();
  std::sort(result.entity_types.begin(), result.entity_types.end(),
            [](auto& x, auto& y) {
              return x.entity_type < y.entity_type;
            });
  if (!is_shutdown())
    for (size_t g = 0; g < n.shards->groups().size(); ++g)
      for (int32_t i = 1; i <= n.shards->size(); ++i) {
        if (n.shards->active(i, *n.clock, g))
          ++result.active_shards;
        if (n.shards->state(i, g) == internal::shard_state::draining)
          ++result.draining_shards;
      }
  auto& c = *n.counters;
  constexpr auto relaxed = std::memory_order_relaxed;
  result.live_runners = n.single ? 1 : c.live_runners.load(relaxed);
  result.failovers = c.failovers.load(relaxed);
  result.lease_refresh_latency = c.lease_refresh_latency.snapshot();
  result.storage_commit_latency = c.commit_latency.snapshot();
  result.storage_commit_rows = c.commit_batch_size.snapshot();
  c.fill(result);
  return result;
}

caf::expected<std::shared_ptr<std::atomic<int64_t>>>
sharding::counter(const std::string& family, const std::string& help,
                  metric_labels labels) const {
  return state_->node->counters->counter(family, help, std::move(labels));
}

} // namespace caf_cluster
