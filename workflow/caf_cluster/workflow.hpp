// Durable workflows: everything a user of the workflow component includes.
#pragma once

#include "caf_cluster/workflow/client.hpp"
#include "caf_cluster/workflow/context.hpp"
#include "caf_cluster/workflow/deferred.hpp"
#include "caf_cluster/workflow/engine.hpp"
#include "caf_cluster/workflow/journal.hpp"
#include "caf_cluster/workflow/outcome.hpp"
#include "caf_cluster/workflow/retry_policy.hpp"
#include "caf_cluster/workflow/status.hpp"
#include "caf_cluster/workflow/workflow.hpp"
