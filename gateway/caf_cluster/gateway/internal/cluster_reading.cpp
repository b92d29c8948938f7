#include "caf_cluster/gateway/internal/cluster_reading.hpp"

#include <utility>

namespace caf_cluster::gateway::internal {

caf::expected<cluster_reading>
read_cluster(const storage::cluster_storage& drivers, int64_t now_ms) {
  cluster_reading result;
  result.read_at_ms = now_ms;
  if (drivers.runners) {
    result.has_runner_storage = true;
    auto runners = drivers.runners->all_runners();
    if (!runners)
      return std::move(runners.error());
    result.runners = std::move(*runners);
    auto leases = drivers.runners->leases();
    if (!leases)
      return std::move(leases.error());
    result.leases = std::move(*leases);
  }
  if (drivers.messages) {
    auto pending = drivers.messages->pending_counts();
    if (!pending)
      return std::move(pending.error());
    result.pending = std::move(*pending);
  }
  return result;
}

} // namespace caf_cluster::gateway::internal
