// The output of `cluster-ctl workflows` and `cluster-ctl workflow ID`: text
// (one execution or one step a line, fixed columns) or one JSON document.
// Times print as UTC, ISO 8601 with milliseconds, "-" when unset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workflow_journals.hpp"

namespace cluster_ctl {

/// Returns `ms` (since the epoch) as `2026-01-01T00:00:00.000Z`, or `-` for 0.
std::string utc_time(int64_t ms);

/// Prints one line per execution: workflow id status steps started updated.
/// An execution whose journal does not decode shows the status
/// `undecodable`.
void print_workflows(const std::vector<stored_execution>& xs, bool json);

/// Prints the journal of `x`: its status, every step, the pending sleeps
/// and deferreds, the completions not yet reached and the outcome.
void print_workflow(const stored_execution& x, journal_reader& reader,
                    bool json);

} // namespace cluster_ctl
