// The behaviour of the execution entity of one workflow.
#pragma once

#include <memory>

#include "caf_cluster/entity_context.hpp"
#include "caf_cluster/workflow/detail/core.hpp"
#include "caf_cluster/workflow/detail/messages.hpp"
#include "caf_cluster/workflow/internal/status_counters.hpp"

namespace caf_cluster::workflow::detail {

/// Returns the behaviour of an execution of `spec`, counting the statuses
/// it reaches into `counters`.
wf_actor::behavior_type
execution_behavior(wf_actor::stateful_pointer<execution_journal> self,
                   entity_context ctx, std::shared_ptr<const workflow_spec> spec,
                   std::shared_ptr<const status_counters> counters);

} // namespace caf_cluster::workflow::detail
