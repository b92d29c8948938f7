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
      for (int32_t i = 1; i <= n.shards->size(); ++i)
        if (n.shards->active(i, *n.clock, g))
          ++result.active_shards;
  return result;
}

} // namespace caf_cluster
