// The behaviour of the execution entity of one workflow.
#pragma once

#include <memory>

#include "caf_cluster/entity_context.hpp"
#include "caf_cluster/workflow/detail/core.hpp"
#include "caf_cluster/workflow/detail/messages.hpp"

namespace caf_cluster::workflow::detail {

/// Returns the behaviour of an execution of `spec`.
wf_actor::behavior_type
execution_behavior(wf_actor::stateful_pointer<execution_journal> self,
                   entity_context ctx,
                   std::shared_ptr<const workflow_spec> spec);

} // namespace caf_cluster::workflow::detail
