// The runner's counters of workflow executions by status: the execution
// entity counts each status an execution reaches on this runner, from the
// journal it adopts, into counters of the runner's metrics.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "caf/expected.hpp"

#include "caf_cluster/workflow/status.hpp"

namespace caf_cluster {

class sharding;

} // namespace caf_cluster

namespace caf_cluster::workflow::detail {

/// `caf_cluster_workflow_executions_total{workflow, status}` of one workflow
/// on one runner, for the statuses `started`, `suspended`, `complete`,
/// `failed` and `interrupted`.
class status_counters {
public:
  /// Registers the counters of `workflow` with the metrics of `cluster`.
  static caf::expected<std::shared_ptr<const status_counters>>
  make(const sharding& cluster, const std::string& workflow);

  /// Counts an execution that went from `before` to `after` (the statuses
  /// of the journal it had and the one it adopts): `started` when it had
  /// none, and `after` when it changed to a status other than `running`
  /// (a wake-up whose advance ends in the next wait goes from suspended to
  /// suspended: not counted again).
  /// An advance whose journal was adopted but whose reply failed to store
  /// runs again and may count once more.
  void count(execution_status before, execution_status after) const noexcept;

private:
  // By `execution_status`, `unknown` standing for `started`; `running`
  // stays null.
  std::array<std::shared_ptr<std::atomic<int64_t>>, 6> by_status_;
};

} // namespace caf_cluster::workflow::detail
