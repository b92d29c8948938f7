// The storage workloads: message storage rows saved into a fresh SQLite file
// through caf-cluster's group-commit writer (the layer persisted messages
// will use), against raw SQLiteCpp inserting the same rows into the same
// table (the ceiling). End-to-end persisted asks do not exist yet.
#pragma once

#include <string>
#include <vector>

#include "options.hpp"
#include "workloads.hpp"

namespace bench {

/// Returns the figures of a storage workload, in the order
/// `run_storage_workload` returns them. A side that does not measure a
/// figure reports -1 for it (the table prints `-`).
std::vector<metric> storage_metrics(const workload_sizes& sizes);

/// Runs storage workload `w` once on side `s` (caf-cluster: the storage
/// writer over the SQLite message driver; bare: raw SQLiteCpp) in fresh
/// SQLite files of a temp dir, and passes its figures to `sink`.
void run_storage_workload(workload w, side s, const options& opt,
                          const figures_sink& sink);

/// Describes storage workload `w` with its sizes, for the report.
std::string describe_storage(workload w, const workload_sizes& sizes);

} // namespace bench
