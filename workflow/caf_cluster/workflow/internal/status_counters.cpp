#include "caf_cluster/workflow/internal/status_counters.hpp"

#include "caf_cluster/sharding.hpp"

namespace caf_cluster::workflow::detail {

caf::expected<std::shared_ptr<const status_counters>>
status_counters::make(const sharding& cluster, const std::string& workflow) {
  auto result = std::make_shared<status_counters>();
  for (auto x : {execution_status::unknown, execution_status::suspended,
                 execution_status::complete, execution_status::failed,
                 execution_status::interrupted}) {
    auto name = x == execution_status::unknown ? std::string{"started"}
                                               : to_string(x);
    auto c = cluster.counter("caf_cluster_workflow_executions_total",
                             "Workflow executions that reached a status on "
                             "this runner",
                             {{"workflow", workflow}, {"status", name}});
    if (!c)
      return std::move(c.error());
    result->by_status_[static_cast<size_t>(x)] = std::move(*c);
  }
  return result;
}

void status_counters::count(execution_status before,
                            execution_status after) const noexcept {
  constexpr auto relaxed = std::memory_order_relaxed;
  if (after == execution_status::unknown || before == after)
    return;
  if (before == execution_status::unknown)
    by_status_[static_cast<size_t>(execution_status::unknown)]->fetch_add(
      1, relaxed);
  if (auto& c = by_status_[static_cast<size_t>(after)])
    c->fetch_add(1, relaxed);
}

} // namespace caf_cluster::workflow::detail
